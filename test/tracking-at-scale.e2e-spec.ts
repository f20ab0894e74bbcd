import {
  answerOf,
  deploy,
  metricsOf,
  newService,
  runOf,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { sendWebhook } from './support/fake-github';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The requests listing the runs of `repo`'s workflows. */
const listingsOf = (app: TestApp, repo: string) =>
  app.github.calls.filter((call) =>
    new RegExp(`^/repos/acme/${repo}/actions/workflows/[^/]+/runs$`).test(call.path),
  );
/** The requests for one run on its own. */
const singleGetsOf = (app: TestApp, runId: number) =>
  app.github.calls.filter((call) => call.path.endsWith(`/actions/runs/${runId}`));

const statusText = async (app: TestApp, service: string) =>
  answerOf(await app.discord.command('status', app.actors.viewer, { options: { service } }));

/** A `workflow_run` delivery that says the run was requested (it is queued). */
const requestedDelivery = (app: TestApp, runId: number) =>
  sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
    action: 'requested',
    workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
  });

describe('webhook-aware polling', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '200', POLL_BACKSTOP_MS: '60000' },
    });
  });
  afterAll(() => app?.closeAll());

  it('polls a repository whose run webhooks arrive only as a backstop; /status and the metric say which mode each is in', async () => {
    const hooked = await newService(app, { githubDeployments: 'off' });
    const polled = await newService(app, { githubDeployments: 'off' });
    const withHooks = await deploy(app, app.actors.deployer, hooked.name, 'staging');
    const withoutHooks = await deploy(app, app.actors.deployer, polled.name, 'staging');
    const hookedRun = await runOf(app, withHooks.id);
    const polledRun = await runOf(app, withoutHooks.id);
    expect(await statusText(app, hooked.name)).toContain(
      'Tracking: polling every 200ms (no run webhook from `acme/',
    );

    app.github.setRunStatus(hookedRun, 'in_progress');
    expect((await runWebhook(app, hookedRun)).status).toBe(200);
    await waitForStatus(app, withHooks.id, 'in_progress');
    const hookedListings = listingsOf(app, hooked.repo).length;
    const polledListings = listingsOf(app, polled.repo).length;
    // Ten polls of the other repository: the hooked one's next look is a minute away.
    await waitFor(
      'ten polls of the repository without webhooks',
      () => listingsOf(app, polled.repo).length >= polledListings + 10,
    );
    expect(listingsOf(app, hooked.repo).length).toBeLessThanOrEqual(hookedListings + 1);
    const stored = await storedDeployment(app, withHooks.id);
    expect((stored.nextCheckAt as Date).getTime() - app.clock.now().getTime()).toBeGreaterThan(
      50_000,
    );

    expect(await statusText(app, hooked.name)).toMatch(
      /Tracking: webhooks \(last from `acme\/[^`]+` <t:\d+:R>\); runs polled every 1m 0s as a backstop\./,
    );
    expect(await statusText(app, polled.name)).toContain('Tracking: polling every 200ms');
    await waitFor('the tracking metric', async () => {
      const metrics = await metricsOf(app);
      return (
        /chatops_tracking_repositories\{mode="webhook"\} [1-9]/.test(metrics) &&
        /chatops_tracking_repositories\{mode="polling"\} [1-9]/.test(metrics)
      );
    });

    // The completion arrives by webhook, at once; the other by polling.
    app.github.setRunStatus(hookedRun, 'completed', 'success');
    await runWebhook(app, hookedRun);
    await waitForStatus(app, withHooks.id, 'success');
    app.github.setRunStatus(polledRun, 'completed', 'success');
    await waitForStatus(app, withoutHooks.id, 'success');
  });
  it("counts only new run events for the bot's runs: job events, runs of others and replays leave a repository polled", async () => {
    const service = await newService(app, { githubDeployments: 'off' });
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    // Job events (a webhook that only sends those never moves a run on).
    const job = app.github.addJob(runId, 'deploy', ['Checkout']);
    expect(
      (await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_job', app.github.jobEvent(job))).status,
    ).toBe(200);
    // A run of the same workflow that is not the bot's.
    const { workflowId, headBranch, headSha } = app.github.runs.get(runId)!;
    const other = app.github.createRun('acme', service.repo, workflowId, headBranch, headSha);
    app.github.setRunStatus(other.id, 'in_progress');
    expect((await runWebhook(app, other.id)).status).toBe(200);
    // An old event, sent again under a new delivery id: dated by the run's own time.
    app.github.setRunStatus(runId, 'in_progress');
    const stale = {
      action: 'in_progress',
      workflow_run: {
        ...app.github.runPayload(app.github.runs.get(runId)!),
        updated_at: new Date(app.clock.now().getTime() - 3_600_000).toISOString(),
      },
    };
    expect((await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', stale)).status).toBe(200);
    await waitForStatus(app, id, 'in_progress');
    expect(await statusText(app, service.name)).toMatch(
      /Tracking: polling every 200ms \(no run webhook from `acme\/[^`]+` since <t:\d+:R>\)/,
    );
    app.github.setRunStatus(runId, 'completed', 'success');
    await waitForStatus(app, id, 'success');
  });
});

/** Polls every 200 ms, a five-minute backstop, and no timeout within the clock moves below. */
const startBackstopApp = () =>
  startAppWithFakes({
    env: {
      DEPLOY_COOLDOWN_MS: '0',
      POLL_INTERVAL_MS: '200',
      POLL_BACKSTOP_MS: '300000',
      DEPLOY_TIMEOUT_MS: '3600000',
    },
  });

describe('the backstop', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startBackstopApp();
  });
  afterAll(() => app?.closeAll());

  it('looks once when a queued run is overdue, and finds a completion whose webhook never came', async () => {
    const service = await newService(app, { githubDeployments: 'off' });
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    expect((await requestedDelivery(app, runId)).status).toBe(200);
    await waitForStatus(app, id, 'queued');
    // The watchdog's moment (two minutes after the dispatch) comes before the backstop's.
    const queued = await storedDeployment(app, id);
    const watchdogAt = (queued.dispatchedAt as Date).getTime() + 120_000;
    expect((queued.nextCheckAt as Date).getTime()).toBe(watchdogAt);

    const listed = listingsOf(app, service.repo).length;
    app.clock.advance(watchdogAt - app.clock.now().getTime() + 1_000);
    await waitForMessageText(
      app,
      interaction,
      `GitHub has not started the run for ${id} after 2 minutes: it is still queued.`,
    );
    expect(listingsOf(app, service.repo).length).toBeGreaterThan(listed);
    // Then back to the backstop.
    const next = await waitFor('the next check, a backstop away', async () => {
      const at = ((await storedDeployment(app, id)).nextCheckAt as Date).getTime();
      return at - app.clock.now().getTime() > 200_000 ? at : undefined;
    });

    // The run ends; its webhook is lost. The backstop finds it.
    app.github.setRunStatus(runId, 'completed', 'success');
    app.clock.advance(next - app.clock.now().getTime() + 1_000);
    await waitForStatus(app, id, 'success');
    await waitForMessageText(app, interaction, 'Succeeded');
  });
});

// An app of its own: the clock moves here must not meet the fake GitHub's run times of above.
describe('a repository gone quiet', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startBackstopApp();
  });
  afterAll(() => app?.closeAll());

  it('polls at POLL_INTERVAL_MS again once the repository has sent nothing for ten minutes', async () => {
    const service = await newService(app, { githubDeployments: 'off' });
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    app.github.setRunStatus(runId, 'in_progress');
    await runWebhook(app, runId);
    await waitForStatus(app, id, 'in_progress');
    const firstBackstop = ((await storedDeployment(app, id)).nextCheckAt as Date).getTime();
    app.clock.advance(firstBackstop - app.clock.now().getTime() + 1_000);
    // Done when it has set the next one: five minutes on, the repository still counts as sending.
    const secondBackstop = await waitFor('the first backstop check', async () => {
      const at = ((await storedDeployment(app, id)).nextCheckAt as Date).getTime();
      return at > firstBackstop + 200_000 ? at : undefined;
    });
    app.clock.advance(secondBackstop - app.clock.now().getTime() + 1_000);
    const before = listingsOf(app, service.repo).length;
    await waitFor(
      'polls every POLL_INTERVAL_MS again',
      () => listingsOf(app, service.repo).length >= before + 5,
    );
    expect(await statusText(app, service.name)).toContain('Tracking: polling every 200ms');
    app.github.setRunStatus(runId, 'completed', 'failure');
    await waitForStatus(app, id, 'failure');
  });
});

describe('one request per workflow', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '1000', MAX_CONCURRENT_DEPLOYS: '10' },
    });
  });
  afterAll(() => app?.closeAll());

  it("refreshes a workflow's runs with one listing an interval, and asks for a run the page misses on its own", async () => {
    const service = await newService(app, {
      environments: ['staging', 'qa', 'dev'],
      protectedEnvironments: [],
      githubDeployments: 'off',
    });
    const deployments = [];
    for (const env of ['staging', 'qa', 'dev'])
      deployments.push(await deploy(app, app.actors.deployer, service.name, env));
    const runs = await Promise.all(deployments.map(({ id }) => runOf(app, id)));
    for (const runId of runs) app.github.setRunStatus(runId, 'in_progress');
    await Promise.all(deployments.map(({ id }) => waitForStatus(app, id, 'in_progress')));

    const from = listingsOf(app, service.repo).length;
    await waitFor('four more listings', () => listingsOf(app, service.repo).length >= from + 4, {
      timeoutMs: 15_000,
    });
    const times = listingsOf(app, service.repo)
      .slice(from)
      .map((call) => call.at);
    // One listing per interval for the three runs, not three.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThan(500);
    for (const runId of runs) expect(singleGetsOf(app, runId)).toEqual([]);

    // A hundred newer dispatch runs push the three off the page: each is asked for on its own.
    const { workflowId, headBranch, headSha } = app.github.runs.get(runs[0])!;
    for (let i = 0; i < 100; i++)
      app.github.createRun('acme', service.repo, workflowId, headBranch, headSha);
    app.github.setRunStatus(runs[1], 'completed', 'success');
    await waitForStatus(app, deployments[1].id, 'success');
    expect(singleGetsOf(app, runs[1]).length).toBeGreaterThan(0);
    for (const [i, runId] of runs.entries()) {
      if (i === 1) continue;
      app.github.setRunStatus(runId, 'completed', 'success');
      await waitForStatus(app, deployments[i].id, 'success');
    }
  });
});

describe("the bot's GitHub budget", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '200',
        GITHUB_BACKGROUND_BUDGET_PER_MINUTE: '10',
      },
    });
  });
  afterAll(() => app?.closeAll());

  it("holds the bot's own requests once a minute's budget is spent, while members' commands go on", async () => {
    const first = await newService(app, { githubDeployments: 'off' });
    const second = await newService(app, { githubDeployments: 'off' });
    const { id } = await deploy(app, app.actors.deployer, first.name, 'staging');
    await runOf(app, id);
    await waitFor('a held background request', async () =>
      /chatops_github_budget_waits_total [1-9]/.test(await metricsOf(app)),
    );
    const listed = app.github.calls.filter((call) => call.path.endsWith('/runs')).length;

    // A member's /deploy is not held: it is dispatched at once.
    const later = await deploy(app, app.actors.deployer, second.name, 'staging');
    await runOf(app, later.id);
    expect(app.github.dispatches.some((d) => d.repo === second.repo)).toBe(true);
    // Nothing of the bot's own went out meanwhile.
    expect(app.github.calls.filter((call) => call.path.endsWith('/runs')).length).toBe(listed);

    const metrics = await metricsOf(app);
    expect(metrics).toMatch(/chatops_github_budget_points\{kind="limit"\} 10\b/);
    const spent = (kind: string) =>
      Number(
        new RegExp(`chatops_github_budget_points\\{kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1],
      );
    // At least the dispatch: a write, 5 points.
    expect(spent('command')).toBeGreaterThanOrEqual(5);
    expect(spent('background')).toBeLessThanOrEqual(10);
  });
});
