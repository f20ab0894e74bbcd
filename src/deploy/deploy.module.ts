import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ApprovalModule } from '../approval/approval.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DeployCommands } from './deploy.commands';
import { DeployService } from './deploy.service';
import { DeploymentMetrics } from './deployment.metrics';
import { DeploymentLauncher } from './deployment-launcher';
import { DeploymentStoreModule } from './deployment-store.module';
import { DispatchModule } from './dispatch.module';
import { RefResolver } from './ref-resolver';

@Module({
  imports: [
    DeploymentStoreModule,
    DispatchModule,
    ApprovalModule,
    AccessModule,
    GithubModule,
    ServiceRegistryModule,
  ],
  providers: [DeployService, DeploymentLauncher, DeployCommands, DeploymentMetrics, RefResolver],
  exports: [DeployService, DeploymentLauncher],
})
export class DeployModule {}
