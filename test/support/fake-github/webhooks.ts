import { createHmac } from 'node:crypto';

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
