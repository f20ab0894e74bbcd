import { Injectable } from '@nestjs/common';

/** What became of a verified delivery. */
export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored';

/** Handles the verified deliveries of one event type (`workflow_run`). */
export type WebhookHandler = (deliveryId: string, payload: unknown) => Promise<DeliveryOutcome>;

/**
 * Verified deliveries go to the feature that reads their event type: the ingress knows no
 * feature, and a feature registers itself here at start (tracking reads `workflow_run`).
 * Events nobody reads are acknowledged and ignored.
 */
@Injectable()
export class WebhookRouter {
  private readonly handlers = new Map<string, WebhookHandler>();

  register(event: string, handler: WebhookHandler): void {
    if (this.handlers.has(event)) throw new Error(`${event} deliveries have a handler already`);
    this.handlers.set(event, handler);
  }

  async route(deliveryId: string, event: string, payload: unknown): Promise<DeliveryOutcome> {
    const handler = this.handlers.get(event);
    return handler ? handler(deliveryId, payload) : 'ignored';
  }
}
