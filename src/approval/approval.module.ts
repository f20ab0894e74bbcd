import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdmissionModule } from '../admission/admission.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { ApprovalComponents } from './approval.components';
import { ApprovalService } from './approval.service';
import { ApprovalSweeper } from './approval.sweeper';

/** Approval requests for protected targets: Approve and Cancel, and expiry. */
@Module({
  imports: [
    DeploymentsModule,
    AdmissionModule,
    TargetLocksModule,
    DispatchModule,
    AccessModule,
    GithubModule,
    ServiceRegistryModule,
  ],
  providers: [ApprovalService, ApprovalComponents, ApprovalSweeper],
  exports: [ApprovalService],
})
export class ApprovalModule {}
