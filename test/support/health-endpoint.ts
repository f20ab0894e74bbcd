import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A service's health endpoint on 127.0.0.1, for verification tests: each path answers the
 * status a test sets (200 until told otherwise), and counts the probes it got.
 */
export class HealthEndpoint {
  private readonly statuses = new Map<string, number>();
  private readonly hits = new Map<string, number>();

  private readonly server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const status = this.statuses.get(path) ?? 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down');
  });

  private constructor() {}

  static async start(): Promise<HealthEndpoint> {
    const endpoint = new HealthEndpoint();
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  /** The address of `path` (a fresh path per test keeps tests apart). */
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  answer(path: string, status: number): void {
    this.statuses.set(path, status);
  }

  probesOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
