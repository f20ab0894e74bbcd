import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorRef } from '../../libs/errors';
import { httpErrorAnswer, toAppError } from '../app-exception.filter';
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
/** GitHub caps payloads at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

class PayloadTooLargeError extends WebhookPayloadError {}

/**
 * POST /webhook/github, served straight from the HTTP server ahead of the Express router: this
 * is the one high-volume endpoint, and every delivery costs one signature check and one MongoDB
 * update. The bytes are verified before anything is parsed; the answer comes once the change is
 * stored; the Discord message is updated after answering. Everything else goes to Express.
 */
@Injectable()
export class WebhookIngress implements OnApplicationBootstrap {
  private readonly logger = new Logger('Webhook');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly webhooks: WebhookService,
  ) {
    if (!config.webhook.secret) {
      this.logger.warn(`WEBHOOK_SECRET is not set: POST ${WEBHOOK_PATH} answers 503 until it is`);
    }
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const others = server.listeners('request') as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (
        req.method === 'POST' &&
        (req.url === WEBHOOK_PATH || req.url?.startsWith(`${WEBHOOK_PATH}?`))
      ) {
        void this.receive(req, res);
        return;
      }
      for (const listener of others) listener.call(server, req, res);
    });
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const event = String(req.headers['x-github-event'] ?? 'unknown');
    const deliveryId = req.headers['x-github-delivery'] as string | undefined;
    let status = 200;
    let outcome = 'error';
    try {
      outcome = await this.process(req, event, deliveryId);
      this.answer(res, 200, { status: outcome });
    } catch (error) {
      const appError = toAppError(error);
      outcome = appError ? outcomeOf(appError) : 'error';
      const ref = appError ? undefined : errorRef(error);
      if (ref) this.logger.error({ err: error, ref }, `Webhook delivery failed (ref ${ref})`);
      const answer = httpErrorAnswer(appError, ref);
      status = answer.status;
      this.answer(res, status, answer.body);
    }
    this.logger.log({
      msg: 'webhook delivery',
      event,
      delivery: deliveryId,
      outcome,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  }

  private async process(req: IncomingMessage, event: string, deliveryId: string | undefined) {
    const secret = this.config.webhook.secret;
    if (!secret) {
      req.resume();
      throw new WebhookDisabledError();
    }
    const raw = await readBody(req);
    if (!isValidSignature(secret, raw, req.headers['x-hub-signature-256'] as string | undefined)) {
      this.metrics.webhookDeliveries.inc({ event, outcome: 'bad_signature' });
      throw new WebhookSignatureError();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      payload = undefined;
    }
    try {
      if (payload === undefined || !deliveryId) throw new WebhookPayloadError();
      const outcome = await this.webhooks.handle(deliveryId, event, payload);
      this.metrics.webhookDeliveries.inc({ event, outcome });
      return outcome;
    } catch (error) {
      if (error instanceof WebhookPayloadError)
        this.metrics.webhookDeliveries.inc({ event, outcome: 'malformed' });
      throw error;
    }
  }

  private answer(res: ServerResponse, status: number, body: object): void {
    if (res.headersSent) return;
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}

function outcomeOf(error: { code: string }): string {
  switch (error.code) {
    case 'WEBHOOK.BAD_SIGNATURE':
      return 'bad_signature';
    case 'WEBHOOK.MALFORMED':
      return 'malformed';
    case 'WEBHOOK.DISABLED':
      return 'disabled';
    default:
      return 'error';
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new PayloadTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
