import { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createServer, Server, ServerOptions } from 'node:http';

/** Headers must arrive within this long; Node checks every `connectionsCheckingInterval`. */
export const HEADERS_TIMEOUT_MS = 10_000;

/** Node's own limits for every server the app opens (the main port and the metrics port). */
export const SERVER_OPTIONS: ServerOptions = {
  headersTimeout: HEADERS_TIMEOUT_MS,
  // A backstop for whole requests; the webhook enforces its own 10 s body deadline first.
  requestTimeout: 15_000,
  // Node's default (30 s) would let a slow sender hold a connection well past the limits.
  connectionsCheckingInterval: 1_000,
};

export function createHardenedServer(listener?: Parameters<typeof createServer>[1]): Server {
  return createServer(SERVER_OPTIONS, listener);
}

/** Nest's Express adapter, on a server created with the limits above. */
export class HardenedExpressAdapter extends ExpressAdapter {
  override initHttpServer(_options: NestApplicationOptions): void {
    this.httpServer = createHardenedServer(this.getInstance());
  }
}
