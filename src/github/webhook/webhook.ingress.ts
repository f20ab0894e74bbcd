import { isIPv6 } from 'node:net';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, errorRef, httpErrorAnswer, toAppError } from '../../../libs/errors';
import { AppConfig } from '../../config/app-config';
import { AppMetrics } from '../../metrics/app-metrics';
import { RejectionLog } from './rejection-log';
import { readBody } from './read-body';
import {
  WebhookBusyError,
  WebhookDisabledError,
  WebhookPayloadError,
  WebhookSignatureError,
  WebhookTooLargeError,
} from './webhook.errors';
import { isValidSignature } from './webhook-signature';
import { WebhookRouter } from './webhook-router';

export const WEBHOOK_PATH = '/webhook/github';
/** GitHub's deliveries for the events the bot reads are a few kilobytes; 1 MiB is ample. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Unauthenticated bodies read at once: at most this many MiB held by strangers. */
export const MAX_BODIES_IN_FLIGHT = 64;
/** Headers and body must arrive within this long. */
export const BODY_DEADLINE_MS = 10_000;
/** How long a refused connection stays open after its answer, discarding what still arrives. */
const LINGER_MS = 1_000;

const EVENTS = new Set([
  'workflow_run',
  'workflow_job',
  'deployment_protection_rule',
  'deployment_status',
  'ping',
]);

/** The metric label of an X-GitHub-Event header: a fixed set, never the header itself. */
export function eventLabel(header: string | string[] | undefined): string {
  return typeof header === 'string' && EVENTS.has(header) ? header : 'other';
}

export function isWebhookRequest(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  try {
    // The path, whatever form the request line took (origin-form or absolute-form).
    return new URL(req.url ?? '', 'http://localhost').pathname === WEBHOOK_PATH;
  } catch {
    return false;
  }
}

/**
 * POST /webhook/github, served straight from the HTTP server ahead of the Express router: this
 * is the one endpoint strangers can reach, and the high-volume one. Nothing unauthenticated can
 * grow memory: the size is decided from Content-Length before reading and enforced while
 * reading, only MAX_BODIES_IN_FLIGHT bodies are read at once (WEBHOOK_MAX_BODIES_PER_ADDRESS of
 * them from one remote address), and a body must arrive within BODY_DEADLINE_MS, at a minimum
 * pace (read-body.ts). The bytes are verified before anything is parsed; the answer comes once the
 * change is stored; metric labels come from fixed sets; refusals are summarised, not logged one
 * by one.
 */
@Injectable()
export class WebhookIngress implements OnApplicationShutdown {
  private readonly logger = new Logger('Webhook');
  private readonly rejections = new RejectionLog();
  private bodiesInFlight = 0;
  /** Bodies being read, per remote address: one address holds at most its share of the slots. */
  private readonly bodiesByAddress = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly router: WebhookRouter,
  ) {
    if (!config.webhook.secret) {
      this.logger.warn(`WEBHOOK_SECRET is not set: POST ${WEBHOOK_PATH} answers 503 until it is`);
    }
  }

  onApplicationShutdown(): void {
    this.rejections.stop();
  }

  async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const event = eventLabel(req.headers['x-github-event']);
    const deliveryId = req.headers['x-github-delivery'];
    try {
      const outcome = await this.process(
        req,
        event,
        typeof deliveryId === 'string' ? deliveryId : undefined,
      );
      this.metrics.webhookDeliveries.inc({ event, outcome });
      this.answer(res, 200, { status: outcome });
      this.logger.log({
        msg: 'webhook delivery',
        event,
        delivery: String(deliveryId).slice(0, 64),
        outcome,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    } catch (error) {
      const appError = toAppError(error);
      const outcome = appError ? outcomeOf(appError) : 'error';
      this.metrics.webhookDeliveries.inc({ event, outcome });
      const ref = appError ? undefined : errorRef(error);
      if (ref) this.logger.error({ err: error, ref }, `Webhook delivery failed (ref ${ref})`);
      else if (isRefusal(outcome)) this.rejections.note(outcome, req.socket.remoteAddress);
      const answer = httpErrorAnswer(appError, ref);
      // A body that was not read whole is not kept: what still arrives is discarded, and the
      // connection closes with the answer (after a moment, so the client can read the answer).
      const close = ['too_large', 'timeout', 'busy', 'aborted'].includes(outcome);
      this.answer(res, answer.status, answer.body, close);
      if (close) {
        req.resume();
        res.once('finish', () => setTimeout(() => req.destroy(), LINGER_MS).unref());
      }
    }
  }

  private async process(req: IncomingMessage, event: string, deliveryId: string | undefined) {
    const secret = this.config.webhook.secret;
    if (!secret) throw new WebhookDisabledError();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw new WebhookTooLargeError();
    if (this.bodiesInFlight >= MAX_BODIES_IN_FLIGHT) throw new WebhookBusyError();
    const address = addressGroup(req.socket.remoteAddress);
    const fromAddress = this.bodiesByAddress.get(address) ?? 0;
    if (fromAddress >= this.config.webhook.bodiesPerAddress) throw new WebhookBusyError();
    this.bodiesByAddress.set(address, fromAddress + 1);
    this.metrics.webhookBodiesInFlight.set(++this.bodiesInFlight);
    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY_BYTES, BODY_DEADLINE_MS);
    } finally {
      this.metrics.webhookBodiesInFlight.set(--this.bodiesInFlight);
      const left = (this.bodiesByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.bodiesByAddress.set(address, left);
      else this.bodiesByAddress.delete(address);
    }
    const signature = req.headers['x-hub-signature-256'];
    if (!isValidSignature(secret, raw, typeof signature === 'string' ? signature : undefined))
      throw new WebhookSignatureError();
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new WebhookPayloadError();
    }
    if (!deliveryId) throw new WebhookPayloadError();
    return this.router.route(deliveryId.slice(0, 100), event, payload);
  }

  private answer(res: ServerResponse, status: number, body: object, close = false): void {
    if (res.headersSent) return;
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
      ...(close ? { connection: 'close' } : {}),
      ...(status === 503 ? { 'retry-after': '10' } : {}),
    });
    res.end(json);
  }
}

/**
 * Whose share of the body slots a request takes: its IPv4 address, or the /64 network of its
 * IPv6 address (one host usually holds a whole /64, so counting single IPv6 addresses would
 * give it a share per address).
 */
export function addressGroup(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const bare = address.split('%')[0]!;
  const [head = '', tail] = bare.split('::');
  // An embedded IPv4 address (`64:ff9b::192.0.2.1`) stands for the last two groups.
  const groups = (part: string) =>
    part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [];
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const prefix =
    tail === undefined
      ? first
      : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last];
  return `${prefix
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

const REFUSALS = new Set([
  'bad_signature',
  'malformed',
  'too_large',
  'busy',
  'timeout',
  'aborted',
  'disabled',
]);

function isRefusal(outcome: string): boolean {
  return REFUSALS.has(outcome);
}

function outcomeOf(error: AppError): string {
  switch (error.code) {
    case 'WEBHOOK.BAD_SIGNATURE':
      return 'bad_signature';
    case 'WEBHOOK.MALFORMED':
      return 'malformed';
    case 'WEBHOOK.TOO_LARGE':
      return 'too_large';
    case 'WEBHOOK.BUSY':
      return 'busy';
    case 'WEBHOOK.TIMEOUT':
      return 'timeout';
    case 'WEBHOOK.ABORTED':
      return 'aborted';
    case 'WEBHOOK.DISABLED':
      return 'disabled';
    case 'DATABASE.UNAVAILABLE':
      return 'unavailable';
    default:
      return 'error';
  }
}
