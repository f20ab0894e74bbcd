import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeploymentMetricsListener } from './deployment-metrics.listener';

/** The deployment metrics, kept from the kernel's events. */
@Module({
  imports: [DeploymentsModule],
  providers: [DeploymentMetricsListener],
})
export class DeploymentMetricsModule {}
