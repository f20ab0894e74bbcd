import type { Readable } from 'node:stream';
import { WebhookAbortedError, WebhookTimeoutError, WebhookTooLargeError } from './webhook.errors';

/**
 * The slowest a body may arrive, on average, once MIN_RATE_AFTER_MS have passed: GitHub sends a
 * delivery of a few kilobytes at once; a client trickling bytes only holds a slot.
 */
export const MIN_BYTES_PER_SECOND = 1024;
export const MIN_RATE_AFTER_MS = 2_000;

/**
 * The whole body of a request, refused past `maxBytes`, after `deadlineMs`, when it arrives
 * slower than MIN_BYTES_PER_SECOND (after MIN_RATE_AFTER_MS), or when aborted.
 */
export function readBody(req: Readable, maxBytes: number, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    const started = performance.now();
    const timer = setTimeout(() => fail(new WebhookTimeoutError()), deadlineMs);
    const pace = setInterval(() => {
      const elapsedMs = performance.now() - started;
      if (elapsedMs >= MIN_RATE_AFTER_MS && size < (elapsedMs / 1000) * MIN_BYTES_PER_SECOND)
        fail(new WebhookTimeoutError('The payload arrived too slowly.'));
    }, MIN_RATE_AFTER_MS / 2);
    const fail = (error: Error) => {
      clearTimeout(timer);
      clearInterval(pace);
      req.removeAllListeners('data');
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(new WebhookTooLargeError());
      chunks.push(chunk);
    });
    req.on('end', () => {
      ended = true;
      clearTimeout(timer);
      clearInterval(pace);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', () => fail(new WebhookAbortedError()));
    req.on('close', () => {
      if (!ended) fail(new WebhookAbortedError());
    });
  });
}
