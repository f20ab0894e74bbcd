import {
  deploy,
  metricsOf,
  newService,
  runOf,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, startTestApp, TestApp, testEnvironment } from './support/test-app';
import { waitFor } from './support/wait-for';

const DEPLOY_LOG = '333333333333333333';

describe('tracking a run by polling', () => {
  let app: TestApp;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '200', DEPLOY_CHANNEL_ID: DEPLOY_LOG },
      arrange: ({ discord }) => discord.addChannel({ id: DEPLOY_LOG, name: 'deploy-log' }),
    });
    env = testEnvironment(app.discord, app.github, {
      DEPLOY_COOLDOWN_MS: '0',
      POLL_INTERVAL_MS: '200',
      DEPLOY_CHANNEL_ID: DEPLOY_LOG,
      MONGODB_URI: app.config.mongo.uri,
    });
  });
  afterAll(() => app?.closeAll());

  it("follows the run with conditional listings of its workflow's runs, stops at its end, and announces the outcome once", async () => {
    const { github, discord } = app;
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    const listing = new RegExp(`/repos/acme/${service.repo}/actions/workflows/[^/]+/runs$`);
    await waitFor('a 304 to the listing', () =>
      github.calls.some((call) => listing.test(call.path) && call.status === 304),
    );
    const asked = github.calls.find((call) => listing.test(call.path))!.query;
    expect(asked.get('event')).toBe('workflow_dispatch');
    expect(asked.get('created')).toMatch(/^>=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(asked.get('per_page')).toBe('100');
    // The listing holds the run: never asked for on its own.
    expect(github.calls.filter((call) => call.path.endsWith(`/actions/runs/${runId}`))).toEqual([]);

    github.setRunStatus(runId, 'in_progress');
    await waitForMessageText(app, interaction, 'In progress');
    github.setRunStatus(runId, 'completed', 'success');
    await waitForMessageText(app, interaction, 'Succeeded');

    const announcements = await waitFor('the announcement', () => {
      const posted = discord.messagesIn(DEPLOY_LOG).filter((m) => m.content.includes(id));
      return posted.length ? posted : undefined;
    });
    expect(announcements).toHaveLength(1);
    expect(announcements[0].content).toContain(`✅ Succeeded: **${service.name}** → staging`);
    // Listed once more after the end? No: the check that saw it complete was the last.
    const polls = github.calls.filter((call) => listing.test(call.path)).length;
    const other = await newService(app);
    const later = await deploy(app, app.actors.deployer, other.name, 'staging');
    const laterRun = await runOf(app, later.id);
    await waitFor(
      'a few listings of the next deployment',
      () =>
        github.calls.filter((call) =>
          call.path.includes(`/repos/acme/${other.repo}/actions/workflows/`),
        ).length >= 3,
    );
    expect(github.calls.filter((call) => listing.test(call.path))).toHaveLength(polls);
    github.setRunStatus(laterRun, 'completed', 'success');
    await waitForStatus(app, later.id, 'success');
  });

  it('reports a run that finished while the bot was down, after the restart', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    app.github.setRunStatus(runId, 'in_progress');
    await waitForStatus(app, id, 'in_progress');

    await app.close();
    app.github.setRunStatus(runId, 'completed', 'failure');
    // Polling is slow now: only the check made at start can notice it.
    app = await startTestApp(app.discord, app.github, { ...env, POLL_INTERVAL_MS: '600000' });
    await waitForStatus(app, id, 'failure');
    await waitForMessageText(app, interaction, 'Failed');
    await waitFor('the gauge', async () =>
      /chatops_active_deployments 0/.test(await metricsOf(app)),
    );
  });
});

describe('when GitHub is slow', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '200' } });
  });
  afterAll(() => app?.closeAll());

  it('tells the requester once when GitHub has not started a run after 2 minutes', async () => {
    const { github, discord } = app;
    const service = await newService(app);
    github.createRunsOnDispatch = false;
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatched');
    github.createRunsOnDispatch = true;
    app.clock.advance(100_000);
    const polls = github.calls.length;
    await waitFor('a few polls before the two minutes', () => github.calls.length > polls + 3);
    expect((await storedDeployment(app, id)).watchdogNotifiedAt).toBeUndefined();

    app.clock.advance(21_000);
    const notice = `GitHub has not started a run for ${id} after 2 minutes.`;
    await waitForMessageText(app, interaction, notice);
    const requester = app.actors.deployer.user.id;
    const mentions = () =>
      discord
        .messagesIn(discord.defaultChannelId)
        .filter((m) => m.content.startsWith(`<@${requester}>`) && m.content.includes(id));
    await waitFor('the mention', () => mentions().length === 1);
    expect(mentions()[0].content).toBe(`<@${requester}> ${notice}`);
    // More polls, no second notice.
    const after = github.calls.length;
    await waitFor('a few more polls', () => github.calls.length > after + 3);
    expect(mentions()).toHaveLength(1);
  });

  it('times out, frees the target, and records the real conclusion when it comes', async () => {
    const { github } = app;
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    app.clock.advance(app.config.deploy.timeoutMs);
    const timedOut = await waitForStatus(app, id, 'timed_out');
    expect(timedOut).not.toHaveProperty('busyTarget');
    const text = await waitForMessageText(app, interaction, 'Timed out');
    expect(text).toContain('no completion after 10 min; the run may still be going');
    expect(text).toContain(`#${runId}`);

    github.setRunStatus(runId, 'completed', 'success');
    await runWebhook(app, runId);
    await waitForMessageText(app, interaction, 'GitHub later reported: success');
    expect(await storedDeployment(app, id)).toMatchObject({
      status: 'timed_out',
      runConclusion: 'success',
    });
    expect(await metricsOf(app)).toContain(
      `chatops_deployments_total{service="${service.name}",environment="staging",status="timed_out"} 1`,
    );
  });
});
