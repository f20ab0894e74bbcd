import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentClaims } from './deployment-claims.repository';
import { DeploymentGateRepository } from './deployment-gate.repository';
import { DeploymentHistory } from './deployment-history.repository';
import { DeploymentJobs } from './deployment-jobs.repository';
import { DeploymentLeases } from './deployment-leases.repository';
import { DeploymentTransitions } from './deployment-transitions.service';
import { DeploymentVerificationRepository } from './deployment-verification.repository';
import { DeploymentVerifications } from './deployment-verifications.service';
import { VerifiedDeployments } from './verified-deployments.repository';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';

/**
 * The kernel: the deployment's record and its life. Features change deployments through
 * DeploymentTransitions (the only writer of their status), listen to DeploymentEvents, read
 * through DeploymentHistory, and hold a deployment's check lease through DeploymentLeases. The
 * repositories that write the record stay inside; a feature keeps its own projection of the
 * record (the tracker's schedule, the Discord outbox, GitHub's record) in a store of its own,
 * through the model this module exports.
 */
const model = MongooseModule.forFeature([
  { name: DeploymentDocument.name, schema: DeploymentSchema },
]);

@Module({
  imports: [model],
  providers: [
    DeploymentRepository,
    DeploymentGateRepository,
    DeploymentClaims,
    DeploymentJobs,
    DeploymentLeases,
    DeploymentTransitions,
    DeploymentEvents,
    DeploymentHistory,
    DeploymentVerificationRepository,
    DeploymentVerifications,
    VerifiedDeployments,
  ],
  exports: [
    model,
    DeploymentTransitions,
    DeploymentEvents,
    DeploymentHistory,
    DeploymentLeases,
    DeploymentVerifications,
    VerifiedDeployments,
  ],
})
export class DeploymentsModule {}
