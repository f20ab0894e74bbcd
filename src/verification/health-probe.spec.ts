import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/app-config';
import { HealthProbe, MAX_BODY_BYTES } from './health-probe';

/** A local server answering each path as `routes` says (bound to 127.0.0.1 only). */
async function serve(routes: Record<string, (res: ServerResponse) => void>): Promise<Server> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const probeWith = (allowedHosts: string[], probeTimeoutMs = 1_000) =>
  new HealthProbe({ verify: { allowedHosts, probeTimeoutMs } } as unknown as AppConfig);

describe('HealthProbe', () => {
  let server: Server;
  let base: string;
  let hung = 0;
  const probes: HealthProbe[] = [];

  beforeAll(async () => {
    server = await serve({
      '/health': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('status: ok'),
      '/down': (res) => res.writeHead(503).end('down'),
      '/moved': (res) => res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end(),
      '/to-https': (res) =>
        res.writeHead(301, { location: 'https://api.example.com/health?token=s3cret' }).end(),
      // Ten megabytes, sent slowly enough that reading it all would be noticed.
      '/huge': (res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const push = () => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', push);
          }
          res.end('needle');
        };
        push();
      },
      '/hang': () => void hung++,
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const probe of probes) probe.onModuleDestroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = () => {
    const probe = probeWith(['127.0.0.1']);
    probes.push(probe);
    return probe;
  };

  it('is healthy on the expected status and body text', async () => {
    const outcome = await allowed().probe({
      url: `${base}/health`,
      expectStatus: 200,
      bodyContains: 'status: ok',
    });
    expect(outcome.healthy).toBe(true);
    expect(outcome.detail).toMatch(/^answered 200 after \d+ ms$/);
    expect(
      await allowed().probe({ url: `${base}/health`, expectStatus: 200, bodyContains: 'nope' }),
    ).toMatchObject({
      healthy: false,
      detail: expect.stringContaining('without the expected text'),
    });
    expect(await allowed().probe({ url: `${base}/down`, expectStatus: 200 })).toMatchObject({
      healthy: false,
      detail: expect.stringMatching(/^answered 503, expected 200/),
    });
  });

  it('never follows a redirect, and says where it pointed', async () => {
    const outcome = await allowed().probe({ url: `${base}/moved`, expectStatus: 200 });
    expect(outcome).toMatchObject({
      healthy: false,
      detail: expect.stringContaining(
        'answered 302 (a redirect to http://169.254.169.254/latest, not followed), expected 200',
      ),
    });
  });

  it('never shows the query of a redirect, which may carry a token', async () => {
    const outcome = await allowed().probe({ url: `${base}/to-https`, expectStatus: 200 });
    expect(outcome.detail).toContain('a redirect to https://api.example.com/health?…');
    expect(outcome.detail).not.toContain('s3cret');
  });

  it('reads at most MAX_BODY_BYTES of a large answer', async () => {
    // The text is at the very end of ten megabytes: past what is read, so it is not found.
    const outcome = await allowed().probe({
      url: `${base}/huge`,
      expectStatus: 200,
      bodyContains: 'needle',
    });
    expect(outcome).toMatchObject({
      healthy: false,
      detail: expect.stringContaining(`first ${MAX_BODY_BYTES / 1024} KiB`),
    });
  });

  it('gives up on an address that never answers, within the timeout', async () => {
    const probe = probeWith(['127.0.0.1'], 500);
    probes.push(probe);
    const before = hung;
    expect(await probe.probe({ url: `${base}/hang`, expectStatus: 200 })).toEqual({
      healthy: false,
      detail: 'no answer within 500 ms',
    });
    expect(hung).toBe(before + 1);
  });

  it('refuses loopback, private and link-local addresses not in VERIFY_ALLOWED_HOSTS', async () => {
    const strict = probeWith([]);
    probes.push(strict);
    const refused = {
      healthy: false,
      detail: 'the address is private, loopback or reserved, and not in VERIFY_ALLOWED_HOSTS',
    };
    expect(await strict.probe({ url: `${base}/health`, expectStatus: 200 })).toEqual(refused);
    // A name that resolves to a loopback address is refused on the connection, after DNS.
    const port = (server.address() as AddressInfo).port;
    expect(
      await strict.probe({ url: `http://localhost:${port}/health`, expectStatus: 200 }),
    ).toEqual(refused);
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/',
      'http://[::1]/',
    ])
      expect(await strict.probe({ url, expectStatus: 200 })).toEqual(refused);
  });

  it('refuses credentials and anything but http(s)', async () => {
    for (const url of [`http://user:secret@127.0.0.1:1/`, 'file:///etc/passwd', 'not a url'])
      expect((await allowed().probe({ url, expectStatus: 200 })).healthy).toBe(false);
    const outcome = await allowed().probe({
      url: 'http://user:secret@127.0.0.1:1/',
      expectStatus: 200,
    });
    expect(outcome.detail).not.toContain('secret');
  });

  it('lets a host name listed in VERIFY_ALLOWED_HOSTS through', async () => {
    const byName = probeWith(['localhost']);
    probes.push(byName);
    const port = (server.address() as AddressInfo).port;
    expect(
      (await byName.probe({ url: `http://localhost:${port}/health`, expectStatus: 200 })).healthy,
    ).toBe(true);
  });
});
