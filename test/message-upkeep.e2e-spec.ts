import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '../libs/testing/app-process';
import { testDatabaseUri } from '../libs/testing/database';
import {
  deploymentIdOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from '../libs/testing/deploys';
import { messageText } from '../libs/testing/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from '../libs/testing/fake-github';
import { appConnection } from '../libs/testing/mongo';
import { snowflake } from '../libs/testing/snowflake';
import {
  startAppWithFakes,
  startFakeDiscord,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
} from '../libs/testing/test-app';
import { waitFor } from '../libs/testing/wait-for';

const LOG_CHANNEL = '333333333333333333';

async function completeRun(app: TestApp, id: string, conclusion = 'success') {
  const runId = (await waitFor(
    `${id}'s run`,
    async () => (await storedDeployment(app, id)).runId,
  )) as number;
  app.github.setRunStatus(runId, 'completed', conclusion);
  const answer = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
    action: 'completed',
    workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
  });
  expect(answer.status).toBe(200);
}

const announcementsOf = (app: TestApp, id: string) =>
  app.discord.messagesIn(LOG_CHANNEL).filter((message) => message.content.includes(id));

describe('the deployment message when Discord takes it away', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        POLL_INTERVAL_MS: '600000',
        DEPLOY_COOLDOWN_MS: '0',
        DEPLOY_CHANNEL_ID: LOG_CHANNEL,
      },
      arrange: ({ discord, github }) => {
        discord.addChannel({ id: LOG_CHANNEL, name: 'deploy-log' });
        github.addRepo('acme', 'api');
      },
    });
    await seedService(app, { name: 'api', environments: ['staging', 'qa', 'dev'] });
  });
  afterAll(() => app?.closeAll());

  it('keeps going when a moderator deletes the message mid-run, and still announces the outcome', async () => {
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    app.discord.deleteMessage(deploy.reply()!.id);
    await completeRun(app, id);
    await waitForStatus(app, id, 'success');
    const [announcement] = await waitFor('the announcement', () => {
      const posted = announcementsOf(app, id);
      return posted.length ? posted : undefined;
    });
    expect(announcement.content).toContain('✅ Succeeded: **api** → staging');
    const lost = await waitFor(
      'the loss to be recorded',
      async () => (await storedDeployment(app, id)).messageLost as { reason: string } | undefined,
    );
    expect(lost.reason).toBe('the message was deleted');

    // Later deploys to the same target work as ever.
    const next = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const nextId = await deploymentIdOf(next);
    await completeRun(app, nextId);
    await waitForMessageText(app, next, 'Succeeded');
    expect(announcementsOf(app, id)).toHaveLength(1);
  });

  it('records a channel the bot lost access to, announces elsewhere, and keeps working', async () => {
    const channel = snowflake();
    app.discord.addChannel({ id: channel, name: 'private-ops' });
    const deploy = await runDeploy(
      app,
      { ...app.actors.deployer, channelId: channel },
      'api',
      'qa',
    );
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    app.discord.revokeChannelAccess(channel);
    await completeRun(app, id, 'failure');
    await waitForStatus(app, id, 'failure');
    await waitFor('the announcement', () => announcementsOf(app, id).length === 1);
    const lost = await waitFor(
      'the loss to be recorded',
      async () => (await storedDeployment(app, id)).messageLost as { reason: string } | undefined,
    );
    expect(lost.reason).toBe('the bot lost access to the channel');
    const edits = () =>
      app.discord.calls.filter((call) => call.method === 'PATCH' && call.path.includes(channel));
    const editsAfterLoss = edits().length;
    const other = await runDeploy(app, app.actors.deployer, 'api', 'dev');
    await completeRun(app, await deploymentIdOf(other));
    await waitForMessageText(app, other, 'Succeeded');
    expect(edits().length).toBe(editsAfterLoss);
  });

  it('gets the final state onto the message once Discord stops failing its edits', async () => {
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForMessageText(app, deploy, '#');
    // discord.js retries a 5xx three times itself: 8 failures fail two whole attempts.
    app.discord.failRequests({
      method: 'PATCH',
      path: /^\/channels\/\d+\/messages\/\d+$/,
      status: 500,
      times: 8,
    });
    await completeRun(app, id);
    await waitForStatus(app, id, 'success');
    const text = await waitForMessageText(app, deploy, 'Succeeded');
    expect(text).toContain(`Deployment: ${id}`);
    const failed = app.discord.calls.filter(
      (call) => call.method === 'PATCH' && call.status === 500,
    );
    expect(failed).toHaveLength(8);
    expect((await storedDeployment(app, id)).messageLost).toBeUndefined();
  });

  it('edits only the newest state of a deployment that changes faster than Discord answers', async () => {
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'dev');
    const id = await deploymentIdOf(deploy);
    await waitForMessageText(app, deploy, '#');
    const runId = (await storedDeployment(app, id)).runId as number;
    const before = deploy.reply()!.history.length;
    for (const status of ['queued', 'in_progress'] as const) {
      app.github.setRunStatus(runId, status);
      await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
        action: status,
        workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
      });
    }
    await completeRun(app, id);
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
      await waitFor('the outcome to be announced', () =>
        discord.messagesIn(LOG_CHANNEL).some((message) => message.content.includes('Succeeded')),
      );
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
    const app = await startAppWithFakes({
      env: { POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0', DEPLOY_CHANNEL_ID: LOG_CHANNEL },
      arrange: ({ discord, github }) => {
        discord.addChannel({ id: LOG_CHANNEL, name: 'deploy-log' });
        github.addRepo('acme', 'api');
      },
    });
    try {
      await seedService(app, { name: 'api', environments: ['staging'] });
      const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
      const id = await deploymentIdOf(deploy);
      app.discord.failRequests({
        method: 'POST',
        path: new RegExp(`^/channels/${LOG_CHANNEL}/messages$`),
        status: 500,
        times: 100,
      });
      await completeRun(app, id);
      await waitForStatus(app, id, 'success');
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
