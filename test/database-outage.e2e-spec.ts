import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionString } from 'mongodb-connection-string-url';
import { EngineHost } from '../libs/embedded-mongo';
import { FakeDiscord } from './support/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from './support/fake-github';
import {
  startFakeDiscord,
  startTestApp,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
} from './support/test-app';
import { waitFor } from './support/wait-for';

/** The production shutdown deadline (src/main.ts). */
const SHUTDOWN_DEADLINE_MS = 20_000;

async function closeWithin(closing: Promise<void> | undefined, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([closing?.then(() => 'closed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late')
    console.warn(
      `${what} was still closing after ${ms / 1000} s; resources still active: ${process.getActiveResourcesInfo().join(', ')}`,
    );
}

/** The app keeps running while MongoDB is away, says so, and recovers by itself. */
describe('a MongoDB outage', () => {
  let dataDir: string;
  let host: EngineHost;
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;

  const readiness = async () => {
    const response = await fetch(`${app.url}/health/ready`);
    return {
      status: response.status,
      body: (await response.json()) as Record<string, Record<string, { status: string }>>,
    };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chatops-outage-'));
    host = await EngineHost.start({ dataDir });
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    const uri = new ConnectionString(host.uri);
    uri.pathname = '/outage';
    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, { MONGODB_URI: uri.toString() }),
    );
  });

  afterAll(async () => {
    // As the process would (main.ts exits 20 s into a shutdown): a close still waiting then on
    // something the outage left behind is reported, not waited for past the hook's timeout.
    await closeWithin(app?.close(), SHUTDOWN_DEADLINE_MS, 'the app');
    await host?.stop();
    await discord?.close();
    await github?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns readiness to 503 naming MongoDB, answers commands clearly, and recovers on restart', async () => {
    expect((await readiness()).status).toBe(200);

    await host.stop();
    // Polled as a probe would be (not in a tight loop): pings are shared, not piled up.
    const down = await waitFor(
      'readiness to report the outage',
      async () => {
        const result = await readiness();
        return result.status === 503 ? result : undefined;
      },
      { intervalMs: 200 },
    );
    expect(down.body.error.mongodb.status).toBe('down');
    expect(down.body.info.discord.status).toBe('up');
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    const delivery = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: { id: 42, status: 'completed', conclusion: 'success' },
      repository: { full_name: 'acme/api' },
    });
    expect(delivery.status).toBe(503);
    expect(JSON.parse(delivery.body).error.code).toBe('DATABASE.UNAVAILABLE');

    const ping = await discord.command('ping', app.actors.viewer);
    const reply = await ping.waitForReply();
    expect(reply.content).toBe('The database is unavailable right now. Try again shortly.');
    expect(ping.ephemeral).toBe(true);
    // Handled without a claim (no instance could claim it), exactly as a single instance would.
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('chatops_interaction_claims_total{outcome="unavailable"} 1');

    host = await EngineHost.start({ dataDir });
    await waitFor(
      'readiness to come back',
      async () => {
        const result = await readiness();
        if (result.status !== 200) throw new Error(JSON.stringify(result.body));
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const again = await discord.command('ping', app.actors.viewer);
    expect((await again.waitForReply()).content).toMatch(/^Pong/);
  });
});
