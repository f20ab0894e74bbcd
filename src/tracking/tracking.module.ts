import { Module } from '@nestjs/common';
import { DeploymentStoreModule } from '../deploy/deployment-store.module';
import { DispatchModule } from '../deploy/dispatch.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { RunPoller } from './run-poller';
import { RunTrackerService } from './run-tracker.service';
import { WebhookIngress } from './webhook.ingress';
import { WebhookService } from './webhook.service';

@Module({
  imports: [DeploymentStoreModule, DispatchModule, GithubModule, ServiceRegistryModule],
  providers: [RunTrackerService, WebhookService, WebhookIngress, RunPoller],
  exports: [RunTrackerService, WebhookIngress],
})
export class TrackingModule {}
