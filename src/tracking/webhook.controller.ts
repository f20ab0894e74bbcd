import { Controller, Headers, HttpCode, Logger, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import {
  WebhookDisabledError,
  WebhookPayloadError,
  WebhookSignatureError,
} from './tracking.errors';
import { isValidSignature } from './webhook-signature';
import { WebhookService } from './webhook.service';

export const WEBHOOK_PATH = '/webhook/github';

/**
 * GitHub deliveries: verified over the raw bytes before anything is parsed; the answer comes
 * once the change is stored, and the Discord message is updated after answering.
 */
@Controller()
export class WebhookController {
  private readonly logger = new Logger('Webhook');

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly webhooks: WebhookService,
  ) {
    if (!config.webhook.secret) {
      this.logger.warn(`WEBHOOK_SECRET is not set: POST ${WEBHOOK_PATH} answers 503 until it is`);
    }
  }

  @Post(WEBHOOK_PATH)
  @HttpCode(200)
  async receive(
    @Req() request: Request,
    @Headers('x-github-event') event = 'unknown',
    @Headers('x-github-delivery') deliveryId?: string,
    @Headers('x-hub-signature-256') signature?: string,
  ) {
    const secret = this.config.webhook.secret;
    if (!secret) {
      this.logger.warn('Webhook refused: WEBHOOK_SECRET is not set');
      throw new WebhookDisabledError();
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!isValidSignature(secret, raw, signature)) {
      this.metrics.webhookDeliveries.inc({ event, outcome: 'bad_signature' });
      throw new WebhookSignatureError();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
      if (!deliveryId) throw new WebhookPayloadError();
    } catch {
      this.metrics.webhookDeliveries.inc({ event, outcome: 'malformed' });
      throw new WebhookPayloadError();
    }
    try {
      const outcome = await this.webhooks.handle(deliveryId, event, payload);
      this.metrics.webhookDeliveries.inc({ event, outcome });
      return { status: outcome };
    } catch (error) {
      if (error instanceof WebhookPayloadError)
        this.metrics.webhookDeliveries.inc({ event, outcome: 'malformed' });
      throw error;
    }
  }
}
