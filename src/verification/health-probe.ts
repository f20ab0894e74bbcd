import { Injectable, OnModuleDestroy } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { plainText } from '../../libs/text';
import { AppConfig } from '../config/app-config';
import { shownUrl } from '../service-registry/verification-settings';

/** What is read of an answer's body at most: enough for a health page, never a download. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface HttpExpectation {
  url: string;
  expectStatus: number;
  bodyContains?: string;
}

export interface HttpProbeOutcome {
  healthy: boolean;
  /** What was seen, in plain words safe to show (no query string, no header, no body). */
  detail: string;
}

/** An IP address or a CIDR range (`10.0.0.0/8`), as request-filtering-agent takes them. */
const isAddressOrRange = (entry: string) =>
  isIP(entry.replace(/^\[|\]$/g, '')) !== 0 || /\/\d{1,3}$/.test(entry);

/**
 * Probes a verification URL from the bot's own network, so it is guarded as a request an outsider
 * could aim (server-side request forgery): http(s) only, no credentials, redirects never followed,
 * at most MAX_BODY_BYTES read, everything within VERIFY_PROBE_TIMEOUT_MS, and no private,
 * loopback, link-local or otherwise non-public address unless VERIFY_ALLOWED_HOSTS lists its host
 * name, address or range. The address is checked on the connection itself, after DNS
 * (request-filtering-agent), so a name that resolves to a private address is refused too.
 */
@Injectable()
export class HealthProbe implements OnModuleDestroy {
  private readonly allowedNames: Set<string>;
  private readonly guarded: { http: http.Agent; https: https.Agent };
  private readonly trusted: { http: http.Agent; https: https.Agent };
  private readonly timeoutMs: number;

  constructor(config: AppConfig) {
    const allowed = config.verify.allowedHosts;
    this.allowedNames = new Set(allowed.filter((entry) => !isAddressOrRange(entry)));
    const allowIPAddressList = allowed
      .filter(isAddressOrRange)
      .map((entry) => entry.replace(/^\[|\]$/g, ''));
    this.guarded = {
      http: new RequestFilteringHttpAgent({ allowIPAddressList }),
      https: new RequestFilteringHttpsAgent({ allowIPAddressList }),
    };
    this.trusted = { http: new http.Agent(), https: new https.Agent() };
    this.timeoutMs = config.verify.probeTimeoutMs;
  }

  onModuleDestroy(): void {
    for (const agent of [...Object.values(this.guarded), ...Object.values(this.trusted)])
      agent.destroy();
  }

  async probe(expectation: HttpExpectation): Promise<HttpProbeOutcome> {
    let url: URL;
    try {
      url = new URL(expectation.url);
    } catch {
      return { healthy: false, detail: 'the address is not a valid URL' };
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password)
      return { healthy: false, detail: 'only http(s) addresses without credentials are probed' };
    const started = performance.now();
    const took = () => `${Math.round(performance.now() - started)} ms`;
    try {
      const { status, body, location } = await this.fetch(url);
      if (status !== expectation.expectStatus) {
        const moved =
          location !== undefined
            ? ` (a redirect to ${plainText(shownUrl(new URL(location, url).href), 80)}, not followed)`
            : '';
        return {
          healthy: false,
          detail: `answered ${status}${moved}, expected ${expectation.expectStatus}, after ${took()}`,
        };
      }
      if (expectation.bodyContains && !body.includes(expectation.bodyContains))
        return {
          healthy: false,
          detail: `answered ${status} without the expected text in its first ${MAX_BODY_BYTES / 1024} KiB, after ${took()}`,
        };
      return { healthy: true, detail: `answered ${status} after ${took()}` };
    } catch (error) {
      return { healthy: false, detail: failureText(error, this.timeoutMs) };
    }
  }

  private fetch(url: URL): Promise<{ status: number; body: string; location?: string }> {
    const secure = url.protocol === 'https:';
    const host = url.hostname.toLowerCase();
    const agents = this.allowedNames.has(host) ? this.trusted : this.guarded;
    const signal = AbortSignal.timeout(this.timeoutMs);
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        {
          protocol: url.protocol,
          hostname: host.replace(/^\[|\]$/g, ''),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          agent: secure ? agents.https : agents.http,
          headers: { 'user-agent': 'chatops-deploy-bot-verification', accept: '*/*' },
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            response.destroy();
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
              location: response.headers.location,
            });
          };
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            // Enough read: the rest of a large answer is never downloaded.
            if (size >= MAX_BODY_BYTES) done();
          });
          response.on('end', done);
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end();
    });
  }
}

/** A failed probe in words safe to show: never a stack, an address's query or a header. */
function failureText(error: unknown, timeoutMs: number): string {
  const err = error as NodeJS.ErrnoException & { name?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError')
    return `no answer within ${timeoutMs} ms`;
  const message = String(err?.message ?? '');
  if (/is not allowed/.test(message))
    return 'the address is private, loopback or reserved, and not in VERIFY_ALLOWED_HOSTS';
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name did not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    default:
      return err?.code
        ? `the request failed (${plainText(err.code, 40)})`
        : 'the request failed (TLS or protocol error)';
  }
}
