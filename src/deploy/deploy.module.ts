import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdmissionModule } from '../admission/admission.module';
import { ApprovalModule } from '../approval/approval.module';
import { CiGateModule } from '../ci-gate/ci-gate.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { CancelService } from './cancel.service';
import { DeployCommands } from './deploy.commands';
import { DeployService } from './deploy.service';
import { DeploymentLauncher } from './deployment-launcher';
import { DeployQueueing } from './deploy-queueing';
import { RefResolver } from './ref-resolver';

/** /deploy (now or queued) and /cancel; the launcher /rollback ends with too. */
@Module({
  imports: [
    DeploymentsModule,
    AdmissionModule,
    TargetLocksModule,
    DeployWindowsModule,
    DispatchModule,
    ApprovalModule,
    CiGateModule,
    AccessModule,
    GithubModule,
    ServiceRegistryModule,
  ],
  providers: [
    DeployService,
    CancelService,
    DeploymentLauncher,
    DeployCommands,
    RefResolver,
    DeployQueueing,
  ],
  exports: [DeployService, DeploymentLauncher, DeployQueueing],
})
export class DeployModule {}
