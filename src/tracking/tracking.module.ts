import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { GithubModule } from '../github/github.module';
import { WebhookModule } from '../github/webhook/webhook.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { RunListingDocument, RunListingSchema } from './run-listing.schema';
import { RunListingStore } from './run-listing.store';
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
    MongooseModule.forFeature([{ name: RunListingDocument.name, schema: RunListingSchema }]),
    DeploymentsModule,
    DispatchModule,
    GithubModule,
    WebhookModule,
    ServiceRegistryModule,
  ],
  providers: [
    RunTrackerService,
    RunListingStore,
    WebhookActivity,
    WorkflowRunWebhook,
    WorkflowJobWebhook,
    RunJobsListener,
    RunPoller,
  ],
  exports: [RunTrackerService],
})
export class TrackingModule {}
