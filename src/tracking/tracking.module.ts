import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeployModule } from '../deploy/deploy.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryDocument, DeliverySchema } from './delivery.schema';
import { RunPoller } from './run-poller';
import { RunTrackerService } from './run-tracker.service';
import { WebhookController } from './webhook.controller';
import { WebhookService } from './webhook.service';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: DeliveryDocument.name, schema: DeliverySchema }]),
    DeployModule,
    GithubModule,
    ServiceRegistryModule,
  ],
  controllers: [WebhookController],
  providers: [DeliveryRepository, RunTrackerService, WebhookService, RunPoller],
  exports: [RunTrackerService],
})
export class TrackingModule {}
