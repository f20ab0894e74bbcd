import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GithubModule } from '../github/github.module';
import { AdmissionGuards } from './admission';
import { CooldownRepository } from './cooldown.repository';
import { CooldownDocument, CooldownSchema } from './cooldown.schema';
import { DeploymentEvents } from './deployment.events';
import { DeploymentHistory } from './deployment-history.repository';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentSyncRepository } from './deployment-sync.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';
import { TargetLockRepository } from './target-lock.repository';
import { TargetLockDocument, TargetLockSchema } from './target-lock.schema';

/** The deployments (and cooldowns) collections and the change events, shared by the features that move deployments. */
@Module({
  imports: [
    GithubModule,
    MongooseModule.forFeature([
      { name: DeploymentDocument.name, schema: DeploymentSchema },
      { name: CooldownDocument.name, schema: CooldownSchema },
      { name: TargetLockDocument.name, schema: TargetLockSchema },
    ]),
  ],
  providers: [
    DeploymentRepository,
    DeploymentSyncRepository,
    DeploymentHistory,
    CooldownRepository,
    TargetLockRepository,
    DeploymentEvents,
    AdmissionGuards,
  ],
  exports: [
    DeploymentRepository,
    DeploymentSyncRepository,
    DeploymentHistory,
    CooldownRepository,
    TargetLockRepository,
    DeploymentEvents,
    AdmissionGuards,
  ],
})
export class DeploymentStoreModule {}
