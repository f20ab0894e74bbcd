import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { AdmissionModule } from '../admission/admission.module';
import { TrackingModule } from '../tracking/tracking.module';
import { StatusCommands } from './status.commands';
import { StatusService } from './status.service';

/** /status and /history: read-only, for anyone in the home server. */
@Module({
  imports: [
    DeploymentsModule,
    ServiceRegistryModule,
    TargetLocksModule,
    DeployWindowsModule,
    AdmissionModule,
    TrackingModule,
  ],
  providers: [StatusService, StatusCommands],
})
export class StatusModule {}
