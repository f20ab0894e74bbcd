import {
  GIVE_UP_AFTER_MS,
  MAX_ATTEMPTS,
  REST_MS,
} from '../src/deployment-message/deployment-message.listener';
import { LEASE_MS } from '../src/deployments/leases';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './support/app-process';
import { testDatabaseUri } from './support/database';
import {
  deploymentIdOf,
  finishRun,
  newService,
  runDeploy,
  runOf,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import { startAppWithFakes, startFakeDiscord, TestApp, testEnvironment } from './support/test-app';
import { waitFor } from './support/wait-for';

const LOG_CHANNEL = '333333333333333333';

/** An app that announces outcomes in a deploy log channel, and polls no run by itself. */
const startWithDeployLog = () =>
  startAppWithFakes({
    env: { POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0', DEPLOY_CHANNEL_ID: LOG_CHANNEL },
    arrange: ({ discord }) => discord.addChannel({ id: LOG_CHANNEL, name: 'deploy-log' }),
  });

const announcementsOf = (app: TestApp, id: string) =>
  app.discord.messagesIn(LOG_CHANNEL).filter((message) => message.content.includes(id));

describe('the deployment message when Discord takes it away', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startWithDeployLog();
  });
  afterAll(() => app?.closeAll());

  it('keeps going when a moderator deletes the message mid-run, and still announces the outcome', async () => {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    app.discord.deleteMessage(deploy.reply()!.id);
    await finishRun(app, id);
    const [announcement] = await waitFor('the announcement', () => {
      const posted = announcementsOf(app, id);
      return posted.length ? posted : undefined;
    });
    expect(announcement.content).toContain(`✅ Succeeded: **${service.name}** → staging`);
    const lost = await waitFor(
      'the loss to be recorded',
      async () => (await storedDeployment(app, id)).messageLost as { reason: string } | undefined,
    );
    expect(lost.reason).toBe('the message was deleted');

    // Later deploys to the same target work as ever.
    const next = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const nextId = await deploymentIdOf(next);
    await finishRun(app, nextId);
    await waitForMessageText(app, next, 'Succeeded');
    expect(announcementsOf(app, id)).toHaveLength(1);
  });

  it('records a channel the bot lost access to, announces elsewhere, and keeps working', async () => {
    const service = await newService(app);
    const channel = snowflake();
    app.discord.addChannel({ id: channel, name: 'private-ops' });
    const deploy = await runDeploy(
      app,
      { ...app.actors.deployer, channelId: channel },
      service.name,
      'staging',
    );
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    app.discord.revokeChannelAccess(channel);
    await finishRun(app, id, 'failure');
    await waitFor('the announcement', () => announcementsOf(app, id).length === 1);
    const lost = await waitFor(
      'the loss to be recorded',
      async () => (await storedDeployment(app, id)).messageLost as { reason: string } | undefined,
    );
    expect(lost.reason).toBe('the bot lost access to the channel');
    const edits = () =>
      app.discord.calls.filter((call) => call.method === 'PATCH' && call.path.includes(channel));
    const editsAfterLoss = edits().length;
    const other = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, await deploymentIdOf(other));
    await waitForMessageText(app, other, 'Succeeded');
    expect(edits().length).toBe(editsAfterLoss);
  });

  it('gets the final state onto the message once Discord stops failing its edits', async () => {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForMessageText(app, deploy, '#');
    // discord.js retries a 5xx three times itself: 8 failures fail two whole attempts.
    app.discord.failRequests({
      method: 'PATCH',
      path: /^\/channels\/\d+\/messages\/\d+$/,
      status: 500,
      times: 8,
    });
    await finishRun(app, id);
    const text = await waitForMessageText(app, deploy, 'Succeeded');
    expect(text).toContain(`Deployment: ${id}`);
    const failed = app.discord.calls.filter(
      (call) => call.method === 'PATCH' && call.status === 500,
    );
    expect(failed).toHaveLength(8);
    expect((await storedDeployment(app, id)).messageLost).toBeUndefined();
  });

  it('skips only the version Discord refuses (400) and shows the next one', async () => {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    await waitForMessageText(app, deploy, 'Dispatched');
    const messagePath = new RegExp(`^/channels/\\d+/messages/${deploy.reply()!.id}$`);
    app.discord.failRequests({
      method: 'PATCH',
      path: messagePath,
      status: 400,
      code: 50035,
      message: 'Invalid Form Body',
    });
    const runId = await runOf(app, id);
    app.github.setRunStatus(runId, 'in_progress');
    await runWebhook(app, runId);
    await waitFor('the refused edit', () =>
      app.discord.calls.some((call) => call.status === 400 && messagePath.test(call.path)),
    );
    await finishRun(app, id);
    await waitForMessageText(app, deploy, 'Succeeded');
    expect((await storedDeployment(app, id)).messageLost).toBeUndefined();
  });

  it('edits only the newest state of a deployment that changes faster than Discord answers', async () => {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForMessageText(app, deploy, '#');
    const runId = (await storedDeployment(app, id)).runId as number;
    const before = deploy.reply()!.history.length;
    for (const status of ['queued', 'in_progress'] as const) {
      app.github.setRunStatus(runId, status);
      await runWebhook(app, runId);
    }
    await finishRun(app, id);
    await waitForMessageText(app, deploy, 'Succeeded');
    const versions = deploy
      .reply()!
      .history.slice(before)
      .map((version) => messageText(version));
    // Never an older state after a newer one.
    const order = ['Queued', 'In progress', 'Succeeded'];
    const seen = versions.map((text) => order.findIndex((label) => text.includes(label)));
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.at(-1)).toBe(2);
  });

  it('keeps the message up to date after the interaction token has expired', async () => {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    app.discord.expireInteractionTokens();
    await finishRun(app, id);
    await waitForMessageText(app, deploy, 'Succeeded');
    const edits = app.discord.callsTo(
      'PATCH',
      new RegExp(`^/channels/\\d+/messages/${deploy.reply()!.id}$`),
    );
    expect(edits.length).toBeGreaterThan(0);
  });
});

describe('a restart with a deleted message of a deployment in flight', () => {
  it('starts, becomes ready, stays up and reports the outcome', async () => {
    const discord = await startFakeDiscord();
    discord.addChannel({ id: LOG_CHANNEL, name: 'deploy-log' });
    const github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    const workDir = mkdtempSync(join(tmpdir(), 'chatops-upkeep-'));
    const env = testEnvironment(discord, github, {
      MONGODB_URI: testDatabaseUri('upkeep'),
      POLL_INTERVAL_MS: '300',
      DEPLOY_CHANNEL_ID: LOG_CHANNEL,
      LOG_LEVEL: 'info',
    });
    try {
      const first = AppProcess.spawn(env, workDir);
      const base = `http://127.0.0.1:${await first.port()}`;
      await waitFor('readiness', async () => (await fetch(`${base}/health/ready`)).status === 200);
      const services = await (
        await import('mongoose')
      ).default
        .createConnection(env.MONGODB_URI!)
        .asPromise();
      await services.collection('services').insertOne({
        name: 'api',
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        environments: ['staging'],
        protectedEnvironments: [],
        defaultRef: 'main',
        environmentInput: 'environment',
        shaInput: 'sha',
        addedBy: { id: 'seed', name: 'seed' },
        addedAt: new Date(),
      });
      const deployer = {
        user: { id: '100000000000000007', username: 'dana' },
        roles: [discord.guild.roles.find((role) => role.name === 'deployers')!.id],
      };
      const deploy = await discord.command('deploy', deployer, {
        options: { service: 'api', env: 'staging' },
      });
      await deploy.waitForReply((message) => messageText(message).includes('#'));
      first.child.kill('SIGKILL');
      await first.exited();
      discord.deleteMessage(deploy.reply()!.id);
      github.setRunStatus(github.dispatches[0].runId!, 'completed', 'success');

      const second = AppProcess.spawn({ ...env, PORT: '0' }, workDir);
      const secondBase = `http://127.0.0.1:${await second.port()}`;
      // SIGKILL may land while the first process holds a check or message lease (20 s each, taken
      // every 300 ms here): the second takes it over when it runs out, not before.
      await waitFor(
        'the outcome to be announced',
        () =>
          discord.messagesIn(LOG_CHANNEL).some((message) => message.content.includes('Succeeded')),
        { timeoutMs: LEASE_MS + 15_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${second.output.slice(-3000)}`);
      });
      await waitFor(
        'readiness',
        async () => (await fetch(`${secondBase}/health/ready`)).status === 200,
      );
      const stored = await services.collection('deployments').findOne({});
      expect(stored).toMatchObject({
        status: 'success',
        messageLost: { reason: 'the message was deleted' },
      });
      expect(second.output).not.toMatch(/Unhandled rejection|Uncaught exception/);
      expect((await fetch(`${secondBase}/health/live`)).status).toBe(200);
      await services.close();
      second.child.kill('SIGTERM');
      expect((await second.exited()).code).toBe(0);
    } finally {
      await AppProcess.killAll();
      await discord.close();
      await github.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('an announcement Discord refuses for a while', () => {
  it('is posted once Discord recovers, and only once', async () => {
    const app = await startWithDeployLog();
    try {
      const service = await newService(app);
      const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
      const id = await deploymentIdOf(deploy);
      app.discord.failRequests({
        method: 'POST',
        path: new RegExp(`^/channels/${LOG_CHANNEL}/messages$`),
        status: 500,
        times: 100,
      });
      await finishRun(app, id);
      await waitFor('a failed post', () =>
        app.discord.calls.some((call) => call.status === 500 && call.path.includes(LOG_CHANNEL)),
      );
      expect(
        await appConnection(app.app)
          .collection('deployments')
          .findOne({ _id: id as never }),
      ).not.toHaveProperty('announcedAt');
      app.discord.clearFailures();
      await waitFor('the announcement', () => announcementsOf(app, id).length === 1, {
        timeoutMs: 15_000,
      });
    } finally {
      await app.closeAll();
    }
  });
});

describe('a Discord that fails for longer than the retries last', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startWithDeployLog();
  });
  afterAll(() => app.closeAll());
  afterEach(() => app.discord.clearFailures());

  const syncOf = async (id: string) =>
    ((await storedDeployment(app, id)).sync ?? {}) as {
      attempts?: number;
      announcementFailed?: string;
    };

  /** A deployment that succeeded while Discord failed its message and announcement 12 times. */
  async function failedPastItsRetries() {
    const service = await newService(app);
    const deploy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForMessageText(app, deploy, 'Dispatched');
    const failing = { status: 500, times: 100_000 };
    app.discord.failRequests({ method: 'POST', path: /^\/channels\/\d+\/messages$/, ...failing });
    app.discord.failRequests({
      method: 'PATCH',
      path: /^\/channels\/\d+\/messages\/\d+$/,
      ...failing,
    });
    await finishRun(app, id);
    // Every retry's moment is brought forward on the app's clock until the retries run out.
    await waitFor(
      'the retries to run out',
      async () => {
        const { syncDueAt } = await storedDeployment(app, id);
        const due = syncDueAt instanceof Date ? syncDueAt.getTime() : 0;
        if (due - app.clock.now().getTime() > 2 * 60_000) return true;
        if (due > app.clock.now().getTime()) app.clock.advance(due - app.clock.now().getTime());
        return false;
      },
      { timeoutMs: 45_000 },
    );
    expect((await syncOf(id)).attempts).toBe(MAX_ATTEMPTS);
    expect(await storedDeployment(app, id)).not.toHaveProperty('announcedAt');
    return { deploy, id };
  }

  it('then tries once every 15 minutes, and posts the outcome and the final message once Discord is back', async () => {
    const { deploy, id } = await failedPastItsRetries();
    app.clock.advance(REST_MS);
    await waitFor('one more try', async () => (await syncOf(id)).attempts === MAX_ATTEMPTS + 1);
    const { syncDueAt } = await storedDeployment(app, id);
    expect((syncDueAt as Date).getTime() - app.clock.now().getTime()).toBeGreaterThan(
      REST_MS - 60_000,
    );

    app.discord.clearFailures();
    app.clock.advance(REST_MS);
    await waitFor('the announcement', () => announcementsOf(app, id).length === 1, {
      timeoutMs: 15_000,
    });
    await waitForMessageText(app, deploy, 'Succeeded');
    expect((await storedDeployment(app, id)).messageLost).toBeUndefined();
    expect((await syncOf(id)).attempts).toBe(0);
  });

  it('gives up once the failures have lasted a day, whatever changed meanwhile, and records the announcement as failed', async () => {
    const { id } = await failedPastItsRetries();
    // A change an hour into the failures (a re-run's job report, say) does not extend the day.
    const hour = 60 * 60_000;
    app.clock.advance(hour);
    await appConnection(app.app)
      .collection('deployments')
      .updateOne({ _id: id as never }, { $set: { updatedAt: app.clock.now() } });
    app.clock.advance(GIVE_UP_AFTER_MS - hour);
    await waitFor('giving up', async () => !(await storedDeployment(app, id)).syncDueAt);
    expect(await syncOf(id)).toMatchObject({ attempts: 0, announcementFailed: 'gave up' });
    expect(announcementsOf(app, id)).toHaveLength(0);
  });
});
