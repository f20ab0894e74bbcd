import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CiChecksModule } from '../ci-checks/ci-checks.module';
import { DeployModule } from '../deploy/deploy.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { AutomaticRollbacks } from './automatic-rollbacks.service';
import { HealthProbe } from './health-probe';
import { VerificationNotices } from './verification-notices';
import { VerificationWorker } from './verification.worker';

/**
 * After a successful run: the soak with its probes, the automatic rollback of a failed
 * verification, and the channel's notice of it (`/service verify` sets a target's plan).
 */
@Module({
  imports: [
    AuditModule,
    DeploymentsModule,
    DeployModule,
    CiChecksModule,
    ServiceRegistryModule,
    TargetLocksModule,
  ],
  providers: [HealthProbe, AutomaticRollbacks, VerificationNotices, VerificationWorker],
})
export class VerificationModule {}
