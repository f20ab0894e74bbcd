import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdmissionModule } from '../admission/admission.module';
import { ApprovalModule } from '../approval/approval.module';
import { CiChecksModule } from '../ci-checks/ci-checks.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { CiGateActions } from './ci-gate.actions';
import { CiGateComponents } from './ci-gate.components';
import { CiGateService } from './ci-gate.service';
import { CiGateWatcher } from './ci-gate.watcher';

/** The CI gate before dispatch: waiting for checks, refusing red commits, Deploy anyway. */
@Module({
  imports: [
    DeploymentsModule,
    AdmissionModule,
    ApprovalModule,
    DispatchModule,
    AccessModule,
    CiChecksModule,
    ServiceRegistryModule,
    TargetLocksModule,
    DeployWindowsModule,
  ],
  providers: [CiGateService, CiGateActions, CiGateWatcher, CiGateComponents],
  exports: [CiGateService, CiGateActions],
})
export class CiGateModule {}
