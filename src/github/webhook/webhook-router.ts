import { Injectable } from '@nestjs/common';

/** What became of a verified delivery. */
export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored';

/** Handles the verified deliveries of one event type (`workflow_run`). */
export type WebhookHandler = (deliveryId: string, payload: unknown) => Promise<DeliveryOutcome>;

/**
 * Verified deliveries go to the feature that reads their event type: the ingress knows no
 * feature, and a feature registers itself here at start (tracking reads `workflow_run`).
 * An event may also have a second reader for what the first ignores (`workflow_run` of runs no
 * deployment follows: runs started on GitHub), asked only then, so the first's path costs no
 * more. Events nobody reads are acknowledged and ignored.
 */
@Injectable()
export class WebhookRouter {
  private readonly handlers = new Map<string, WebhookHandler>();
  private readonly fallbacks = new Map<string, WebhookHandler>();

  register(event: string, handler: WebhookHandler): void {
    if (this.handlers.has(event)) throw new Error(`${event} deliveries have a handler already`);
    this.handlers.set(event, handler);
  }

  /** Reads the deliveries of `event` its handler ignored (or all of them, when it has none). */
  registerFallback(event: string, handler: WebhookHandler): void {
    if (this.fallbacks.has(event)) throw new Error(`${event} deliveries have a fallback already`);
    this.fallbacks.set(event, handler);
  }

  async route(deliveryId: string, event: string, payload: unknown): Promise<DeliveryOutcome> {
    const handler = this.handlers.get(event);
    const outcome = handler ? await handler(deliveryId, payload) : 'ignored';
    const fallback = this.fallbacks.get(event);
    return outcome === 'ignored' && fallback ? fallback(deliveryId, payload) : outcome;
  }
}
