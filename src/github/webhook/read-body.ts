import type { Readable } from 'node:stream';
import { WebhookAbortedError, WebhookTimeoutError, WebhookTooLargeError } from './webhook.errors';

/** The whole body of a request, refused past `maxBytes`, after `deadlineMs`, or when aborted. */
export function readBody(req: Readable, maxBytes: number, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    const timer = setTimeout(() => fail(new WebhookTimeoutError()), deadlineMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
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
      resolve(Buffer.concat(chunks));
    });
    req.on('error', () => fail(new WebhookAbortedError()));
    req.on('close', () => {
      if (!ended) fail(new WebhookAbortedError());
    });
  });
}
