import { createHmac, randomUUID } from 'node:crypto';
import type { FakeDelivery } from './model';

/** Sends a webhook to the app the way GitHub does: signed over the exact bytes it sends. */
export async function sendWebhook(
  baseUrl: string,
  secret: string | undefined,
  event: string,
  payload: unknown,
  {
    deliveryId = crypto.randomUUID(),
    signature,
    rawBody,
  }: { deliveryId?: string; signature?: string; rawBody?: string } = {},
): Promise<{ status: number; body: string }> {
  const bytes = rawBody ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'user-agent': 'GitHub-Hookshot/fake',
  };
  const computed = secret
    ? `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`
    : undefined;
  const chosen = signature ?? computed;
  if (chosen) headers['x-hub-signature-256'] = chosen;
  const response = await fetch(`${baseUrl}/webhook/github`, {
    method: 'POST',
    headers,
    body: bytes,
  });
  return { status: response.status, body: await response.text() };
}

/**
 * The deliveries the fake GitHub sends by itself to one receiver (the app's base URL: sent to
 * `/webhook/github` under it, signed with `secret`), as GitHub delivers an App's webhooks
 * (https://docs.github.com/en/webhooks/using-webhooks/handling-webhook-deliveries). Each one is
 * kept, with the receiver's status; its payload is checked against GitHub's webhook description.
 */
export class WebhookDeliveries {
  readonly sent: FakeDelivery[] = [];
  private target?: { url: string; secret: string };
  private readonly pending = new Set<Promise<void>>();
  /** Checks each payload against GitHub's webhook description (set by FakeGithub). */
  checkPayload?: (name: string, payload: Record<string, unknown>) => void;

  to(url: string, secret: string): void {
    this.target = { url, secret };
  }

  get targeted(): boolean {
    return this.target !== undefined;
  }

  /**
   * Sends `payload` as `event` once the current request is answered (GitHub delivers after the
   * fact); resolves with the delivery when the receiver has answered, never rejects.
   */
  send(event: string, payload: Record<string, unknown>): Promise<FakeDelivery> {
    const delivery: FakeDelivery = { event, deliveryId: randomUUID(), payload, status: 0 };
    this.sent.push(delivery);
    this.checkPayload?.(`${event}-${String(payload.action)}`.replace(/_/g, '-'), payload);
    const target = this.target;
    if (!target) {
      delivery.error = 'no receiver';
      return Promise.resolve(delivery);
    }
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        sendWebhook(target.url, target.secret, event, payload, {
          deliveryId: delivery.deliveryId,
        }),
      )
      .then(
        ({ status }) => void (delivery.status = status),
        (error: Error) => void (delivery.error = error.message),
      );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return done.then(() => delivery);
  }

  /** Resolves once every delivery sent so far has been answered (or has failed). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
