import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentClaims } from './deployment-claims.repository';
import { DeploymentHistory } from './deployment-history.repository';
import { DeploymentGithubStore } from './deployment-github.store';
import { DeploymentOutbox } from './deployment-outbox.repository';
import { DeploymentTrackingStore } from './deployment-tracking.store';
import { DeploymentTransitions } from './deployment-transitions.service';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';
import { WebhookActivityDocument, WebhookActivitySchema } from './webhook-activity.schema';
import { WebhookActivityStore } from './webhook-activity.store';

/**
 * The kernel: the deployment's record and its life. Features change deployments through
 * DeploymentTransitions (the only writer of their status), listen to DeploymentEvents, read
 * through DeploymentHistory; the tracker keeps its leases in the tracking store and the Discord
 * side its own state in the outbox. The repositories that write the record stay inside.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: DeploymentDocument.name, schema: DeploymentSchema },
      { name: WebhookActivityDocument.name, schema: WebhookActivitySchema },
    ]),
  ],
  providers: [
    DeploymentRepository,
    DeploymentClaims,
    DeploymentTransitions,
    DeploymentEvents,
    DeploymentHistory,
    DeploymentTrackingStore,
    DeploymentOutbox,
    DeploymentGithubStore,
    WebhookActivityStore,
  ],
  exports: [
    DeploymentTransitions,
    DeploymentEvents,
    DeploymentHistory,
    DeploymentTrackingStore,
    DeploymentOutbox,
    DeploymentGithubStore,
    WebhookActivityStore,
  ],
})
export class DeploymentsModule {}
