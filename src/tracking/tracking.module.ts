import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { WebhookModule } from '../github/webhook/webhook.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { RunDeliveryDocument, RunDeliverySchema } from './run-delivery.schema';
import { RunListingDocument, RunListingSchema } from './run-listing.schema';
import { RunListingStore } from './run-listing.store';
import { FirstLookListener } from './first-look.listener';
import { DeploymentTrackingStore } from './tracking.store';
import { WebhookActivityDocument, WebhookActivitySchema } from './webhook-activity.schema';
import { WebhookActivityStore } from './webhook-activity.store';
import { RunPoller } from './run-poller';
import { WebhookActivity } from './webhook-activity';
import { RunTrackerService } from './run-tracker.service';
import { RunJobsListener } from './run-jobs.listener';
import { WorkflowJobWebhook } from './workflow-job.webhook';
import { WorkflowRunWebhook } from './workflow-run.webhook';

/**
 * Following each run to its end: workflow_run webhooks, and polling as the fallback; its jobs
 * from workflow_job webhooks, and read once when it failed.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: RunListingDocument.name, schema: RunListingSchema },
      { name: WebhookActivityDocument.name, schema: WebhookActivitySchema },
      { name: RunDeliveryDocument.name, schema: RunDeliverySchema },
    ]),
    DeploymentsModule,
    GithubModule,
    WebhookModule,
    ServiceRegistryModule,
  ],
  providers: [
    RunTrackerService,
    RunListingStore,
    DeploymentTrackingStore,
    WebhookActivityStore,
    FirstLookListener,
    WebhookActivity,
    WorkflowRunWebhook,
    WorkflowJobWebhook,
    RunJobsListener,
    RunPoller,
  ],
  exports: [RunTrackerService, WebhookActivityStore],
})
export class TrackingModule {}
