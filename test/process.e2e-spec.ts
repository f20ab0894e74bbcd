import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, pidsWithArgument } from './support/app-process';
import { testDatabaseUri } from './support/database';
import type { FakeDiscord } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { startFakeDiscord, testEnvironment } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The built app as an operator runs it: a process, its exit codes, its log, its children. */
describe('the app process', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let workDir: string;
  const secrets = {
    DISCORD_TOKEN: 'discord-token-e2e-do-not-log',
    GITHUB_TOKEN: 'github-token-e2e-do-not-log',
    WEBHOOK_SECRET: 'webhook-secret-e2e-do-not-log-in-any-line',
  };

  beforeAll(async () => {
    discord = await startFakeDiscord({ token: secrets.DISCORD_TOKEN });
    github = await FakeGithub.start(secrets.GITHUB_TOKEN);
  });
  afterAll(async () => {
    await discord?.close();
    await github?.close();
  });
  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'chatops-proc-'));
  });
  afterEach(async () => {
    await AppProcess.killAll();
    rmSync(workDir, { recursive: true, force: true });
  });

  const env = (overrides: Record<string, string | undefined> = {}) =>
    testEnvironment(discord, github, { ...secrets, LOG_LEVEL: 'debug', ...overrides });

  it('lists every invalid variable by name, prints no value, and exits 1 before connecting', async () => {
    const app = AppProcess.spawn(
      {
        NODE_ENV: 'production',
        PORT: 'not-a-port',
        DISCORD_API_URL: 'nope://x',
        MONGODB_URI: 'postgres://u:pw@db',
        GITHUB_TOKEN: secrets.GITHUB_TOKEN,
      },
      workDir,
    );
    const exit = await app.exited();
    expect(exit.code).toBe(1);
    for (const problem of [
      'DISCORD_TOKEN is required',
      'CLIENT_ID is required',
      'PORT must be a number',
      'DISCORD_API_URL must be a valid http(s) URL',
      'WEBHOOK_SECRET is required',
      'MONGODB_URI is not a valid MongoDB connection string',
    ]) {
      expect(app.output).toContain(problem);
    }
    for (const value of ['not-a-port', 'nope://x', 'postgres://u:pw@db', secrets.GITHUB_TOKEN]) {
      expect(app.output).not.toContain(value);
    }
    expect(discord.calls).toHaveLength(0);
  });

  it('boots on the embedded engine, keeps secrets out of its log, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = join(workDir, 'mongo');
    const started = Date.now();
    const app = AppProcess.spawn(
      env({ NODE_ENV: 'development', MONGODB_URI: undefined, MONGODB_DATA_DIR: dataDir }),
      workDir,
    );
    const base = `http://127.0.0.1:${await app.port()}`;
    await waitFor('readiness', async () => (await fetch(`${base}/health/ready`)).status === 200, {
      timeoutMs: 30_000,
    });
    const bootToReadyMs = Date.now() - started;
    expect(bootToReadyMs).toBeGreaterThan(0);
    expect(pidsWithArgument(dataDir)).toHaveLength(1);

    const failed = await fetch(`${base}/no-such-page?token=${secrets.DISCORD_TOKEN}`, {
      headers: {
        authorization: `Bearer ${secrets.GITHUB_TOKEN}`,
        'x-hub-signature-256': secrets.WEBHOOK_SECRET,
      },
    });
    expect(failed.status).toBe(404);
    await waitFor('the request to be logged', () => app.output.includes('no-such-page'));

    app.child.kill('SIGTERM');
    const exit = await app.exited(10_000);
    expect(exit.code).toBe(0);
    expect(pidsWithArgument(dataDir)).toEqual([]);

    expect(app.output).toContain('Embedded MongoDB engine started');
    expect(app.output).not.toMatch(/GET \/health\/ready/);
    for (const secret of Object.values(secrets)) expect(app.output).not.toContain(secret);
  });

  it('writes JSON lines in production, with the same discretion', async () => {
    const app = AppProcess.spawn(
      env({ NODE_ENV: 'production', MONGODB_URI: testDatabaseUri('prodlog') }),
      workDir,
    );
    const base = `http://127.0.0.1:${await app.port()}`;
    await waitFor('readiness', async () => (await fetch(`${base}/health/ready`)).status === 200);
    await fetch(`${base}/missing?secret=${secrets.WEBHOOK_SECRET}`, {
      headers: { authorization: `token ${secrets.GITHUB_TOKEN}` },
    });
    await fetch(`${base}/metrics`);
    await waitFor('the request to be logged', () => app.output.includes('/missing'));
    app.child.kill('SIGTERM');
    expect((await app.exited(10_000)).code).toBe(0);

    const lines = app.output.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const request = lines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.req?.url?.startsWith('/missing'));
    expect(request.req.headers.authorization).toBe('[redacted]');
    const requestUrls = lines.map((line) => JSON.parse(line).req?.url).filter(Boolean);
    expect(
      requestUrls.some((url: string) => url.startsWith('/metrics') || url.startsWith('/health')),
    ).toBe(false);
    for (const secret of Object.values(secrets)) expect(app.output).not.toContain(secret);
  });

  it('names any other server it is in, and summarises refused webhooks instead of logging each', async () => {
    const outsider = discord.addGuild({ name: 'Outsider HQ' });
    const app = AppProcess.spawn(
      env({ NODE_ENV: 'production', LOG_LEVEL: 'info', MONGODB_URI: testDatabaseUri('warn') }),
      workDir,
    );
    const base = `http://127.0.0.1:${await app.port()}`;
    await waitFor('readiness', async () => (await fetch(`${base}/health/ready`)).status === 200);
    await waitFor('the warning', () => app.output.includes(outsider.id));
    const warning = app.output.split('\n').find((line) => line.includes(outsider.id))!;
    expect(JSON.parse(warning).msg).toBe(
      `The bot is also in server "Outsider HQ" (${outsider.id}), which is not GUILD_ID: it refuses every interaction there. Turn off "Public Bot" in the Developer Portal and remove the bot from that server.`,
    );

    for (let i = 0; i < 300; i++) {
      const response = await fetch(`${base}/webhook/github`, {
        method: 'POST',
        headers: { 'x-github-event': `probe-${i}`, 'x-hub-signature-256': 'sha256=00' },
        body: '{}',
      });
      expect(response.status).toBe(401);
    }
    app.child.kill('SIGTERM');
    expect((await app.exited(10_000)).code).toBe(0);
    const refusals = app.output.split('\n').filter((line) => line.includes('Refused'));
    expect(refusals).toHaveLength(2);
    expect(JSON.parse(refusals[1]).msg).toMatch(
      /^Refused 300 webhook requests in the last period \(bad_signature 300\); last from /,
    );
    expect(app.output).not.toContain('probe-');
  });

  it('takes its engine host down with it when killed outright', async () => {
    const dataDir = join(workDir, 'mongo');
    const app = AppProcess.spawn(
      env({ MONGODB_URI: undefined, MONGODB_DATA_DIR: dataDir }),
      workDir,
    );
    await app.port();
    expect(pidsWithArgument(dataDir)).toHaveLength(1);
    app.child.kill('SIGKILL');
    await app.exited();
    await waitFor('the engine host to exit', () => pidsWithArgument(dataDir).length === 0);
  });

  it('logs each failed first connection with its reason, without credentials', async () => {
    const app = AppProcess.spawn(
      env({ MONGODB_URI: 'mongodb://admin:hunter2@127.0.0.1:1/never' }),
      workDir,
    );
    await waitFor('the first failure to be logged', () =>
      app.output.match(/MongoDB connection attempt 1 failed: .*ECONNREFUSED.*retrying in 3 s/),
    );
    app.child.kill('SIGTERM');
    await app.exited();
    expect(app.output).toContain('Connecting to MongoDB (server 127.0.0.1:1)');
    expect(app.output).not.toContain('hunter2');
  });
});
