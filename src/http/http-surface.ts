import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config';
import { isWebhookRequest, WebhookIngress } from '../github/webhook/webhook.ingress';
import { createHardenedServer } from './hardened-express.adapter';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const OPERATIONS_PATHS = /^\/(metrics|health)(\/|\?|$)/;

function notFound(res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Not found.' } });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

/**
 * What each port serves. The webhook is answered straight from the HTTP server, ahead of the
 * Express router; GET and HEAD requests go to Express (health, metrics); any other request is a
 * 404 without touching Express. With METRICS_PORT, /metrics and /health are served only on that
 * port, and the main port serves the webhook alone (the one path that has to be public).
 */
@Injectable()
export class HttpSurface implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Http');
  private operations?: Server;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly webhooks: WebhookIngress,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const express = this.adapterHost.httpAdapter.getInstance<Listener>();
    const separate = this.config.metrics.port !== undefined;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isWebhookRequest(req)) return void this.webhooks.receive(req, res);
      // No other route reads a body: strangers' bodies never reach a parser or the request log.
      if (separate || !['GET', 'HEAD'].includes(req.method ?? '')) return notFound(res);
      express(req, res);
    });
    if (separate) await this.openOperationsPort(express);
  }

  /** Where /metrics and /health listen when METRICS_PORT is set (its real port when 0 was asked). */
  operationsAddress(): AddressInfo | undefined {
    return this.operations?.address() as AddressInfo | undefined;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.operations) return;
    this.operations.closeAllConnections();
    await new Promise<void>((done) => this.operations!.close(() => done()));
  }

  private async openOperationsPort(express: Listener): Promise<void> {
    const { port, host } = this.config.metrics;
    this.operations = createHardenedServer((req, res) =>
      OPERATIONS_PATHS.test(req.url ?? '') ? express(req, res) : notFound(res),
    );
    this.operations.listen(port, host);
    await once(this.operations, 'listening');
    this.logger.log(
      `/metrics and /health listen on ${host}:${this.operationsAddress()!.port} only`,
    );
  }
}
