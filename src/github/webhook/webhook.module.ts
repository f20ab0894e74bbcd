import { Module } from '@nestjs/common';
import { WebhookIngress } from './webhook.ingress';
import { WebhookRouter } from './webhook-router';

/** POST /webhook/github: the checks every delivery passes, and the router to the feature reading it. */
@Module({
  providers: [WebhookIngress, WebhookRouter],
  exports: [WebhookIngress, WebhookRouter],
})
export class WebhookModule {}
