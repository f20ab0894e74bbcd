import { createHmac, timingSafeEqual } from 'node:crypto';

/** GitHub's `X-Hub-Signature-256`, checked over the exact bytes received, in constant time. */
export function isValidSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const received = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}
