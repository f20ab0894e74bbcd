import { FakeDiscord } from '../libs/testing/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from '../libs/testing/fake-github';
import {
  deploymentIdOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from '../libs/testing/deploys';
import { appConnection } from '../libs/testing/mongo';
import {
  startFakeDiscord,
  startTestApp,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
  startAppWithFakes,
} from '../libs/testing/test-app';
import { waitFor } from '../libs/testing/wait-for';

const runWebhook = (app: TestApp, runId: number, options: { deliveryId?: string } = {}) =>
  sendWebhook(
    app.url,
    WEBHOOK_SECRET,
    'workflow_run',
    {
      action:
        app.github.runs.get(runId)!.status === 'completed'
          ? 'completed'
          : app.github.runs.get(runId)!.status,
      workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
    },
    options,
  );

const metricsText = async (app: TestApp) => (await fetch(`${app.url}/metrics`)).text();

describe('/deploy, tracked by webhooks', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;
  let mainSha: string;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    github.addRepo('acme', 'web');
    mainSha = github.addCommit('acme', 'api', 'main', 'Add health endpoint');
    github.addTag('acme', 'api', 'v1.2.0', mainSha);
    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, {
        DEPLOY_COOLDOWN_MS: '0',
        MAX_CONCURRENT_DEPLOYS: '2',
        // Webhooks only: the poller stays out of the way.
        POLL_INTERVAL_MS: '600000',
      }),
    );
    await seedService(app, { name: 'api', environments: ['staging', 'qa', 'prod'] });
    await seedService(app, { name: 'web', environments: ['staging', 'prod'] });
  });
  afterAll(() => app?.closeAll());
  beforeEach(() => {
    github.dispatchMode = 'details';
    github.createRunsOnDispatch = true;
  });

  it('dispatches the resolved commit exactly once and reports the run to its end', async () => {
    const githubCallsBefore = github.rateLimitedCalls().length;
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    expect((await interaction.firstCallback()).type).toBe(5);
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');

    expect(github.dispatches).toHaveLength(1);
    const [dispatch] = github.dispatches;
    expect(dispatch).toMatchObject({
      repo: 'api',
      ref: 'refs/heads/main',
      inputs: { environment: 'staging', sha: mainSha },
      returnRunDetails: true,
    });
    const runId = dispatch.runId!;
    let text = await waitForMessageText(app, interaction, `#${runId}`);
    expect(text).toContain('Deploy api → staging');
    expect(text).toContain(`Ref: \`main\` → \`${mainSha.slice(0, 7)}\``);
    expect(text).toContain('Requested by: dana-deployer');
    expect(text).toContain(`Deployment: ${id}`);

    github.setRunStatus(runId, 'in_progress');
    expect((await runWebhook(app, runId)).status).toBe(200);
    expect((await storedDeployment(app, id)).status).toBe('in_progress');
    await waitForMessageText(app, interaction, 'In progress');

    github.setRunStatus(runId, 'completed', 'success');
    const completed = await runWebhook(app, runId);
    expect(JSON.parse(completed.body)).toEqual({ status: 'accepted' });
    text = await waitForMessageText(app, interaction, /Succeeded in \d+s/);
    expect(text).toContain(`[#${runId}](https://github.example/acme/api/actions/runs/${runId})`);

    const stored = await storedDeployment(app, id);
    expect(stored).toMatchObject({ status: 'success', runConclusion: 'success' });
    expect(stored).not.toHaveProperty('lockKey');
    expect((stored.transitions as Array<{ status: string }>).map((t) => t.status)).toEqual([
      'dispatching',
      'dispatched',
      'in_progress',
      'success',
    ]);
    // Ref → SHA, then the dispatch: nothing else counts against the rate limit on this path.
    expect(github.rateLimitedCalls().length - githubCallsBefore).toBeLessThanOrEqual(3);
    const metrics = await metricsText(app);
    expect(metrics).toMatch(
      /chatops_deployments_total\{service="api",environment="staging",status="success"\} 1/,
    );
    expect(metrics).toMatch(
      /chatops_deployment_duration_seconds_count\{service="api",environment="staging",status="success"\} 1/,
    );
    expect(metrics).toMatch(/chatops_active_deployments 0/);
  });

  it('dispatches a tag and a bare SHA on the default branch, the commit in the sha input', async () => {
    const tag = await runDeploy(app, app.actors.deployer, 'api', 'qa', 'v1.2.0');
    const tagId = await deploymentIdOf(tag);
    await waitForStatus(app, tagId, 'dispatched');
    // The workflow as defined on the protected default branch runs, never one from the ref.
    expect(github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { sha: mainSha },
    });
    github.setRunStatus(github.dispatches.at(-1)!.runId!, 'completed', 'success');
    await runWebhook(app, github.dispatches.at(-1)!.runId!);
    await waitForStatus(app, tagId, 'success');

    const sha = await runDeploy(app, app.actors.deployer, 'api', 'qa', mainSha.slice(0, 10));
    const shaId = await deploymentIdOf(sha);
    await waitForStatus(app, shaId, 'dispatched');
    expect(github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { environment: 'qa', sha: mainSha },
    });
    github.setRunStatus(github.dispatches.at(-1)!.runId!, 'completed', 'failure');
    await runWebhook(app, github.dispatches.at(-1)!.runId!);
    await waitForStatus(app, shaId, 'failure');
    expect(await waitForMessageText(app, sha, /Failed in \d+s/)).toContain('Deploy api → qa');
  });

  it.each([
    [
      'an unknown service',
      'nope',
      'staging',
      undefined,
      'Unknown service "nope". `/service list` shows the registered ones.',
    ],
    [
      'an environment the service does not have',
      'web',
      'qa',
      undefined,
      'web does not deploy to "qa"; its environments are staging, prod.',
    ],
    [
      'an unknown ref',
      'api',
      'staging',
      'no-such-branch',
      'acme/api has no branch, tag or commit "no-such-branch".',
    ],
  ])(
    'refuses %s clearly, privately, dispatching nothing',
    async (_what, service, env, ref, message) => {
      const dispatches = github.dispatches.length;
      const interaction = await runDeploy(app, app.actors.deployer, service, env, ref);
      const [followUp] = await waitFor('the refusal', () =>
        interaction.followUps().length ? interaction.followUps() : undefined,
      );
      expect(followUp.content).toBe(message);
      expect(followUp.flags & 64).toBe(64);
      await waitFor('the public reply to go', () => interaction.reply() === undefined);
      expect(github.dispatches.length).toBe(dispatches);
    },
  );

  it("refuses a viewer's deploy and audits it", async () => {
    const interaction = await runDeploy(app, app.actors.viewer, 'api', 'staging');
    const [followUp] = await waitFor('the refusal', () =>
      interaction.followUps().length ? interaction.followUps() : undefined,
    );
    expect(followUp.content).toBe('Only deployers and admins for staging can deploy api.');
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ 'actor.id': app.actors.viewer.user.id, command: 'deploy' }),
    );
    expect(entry).toMatchObject({
      outcome: 'refused',
      code: 'ACCESS.DENIED',
      options: { service: 'api', env: 'staging' },
    });
  });

  it('holds one in-flight deployment per target and a global cap, saying what is in flight', async () => {
    const first = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const firstId = await deploymentIdOf(first);
    await waitForStatus(app, firstId, 'dispatched');

    const same = await runDeploy(app, app.actors.admin, 'api', 'staging');
    const [busy] = await waitFor('the refusal', () =>
      same.followUps().length ? same.followUps() : undefined,
    );
    expect(busy.content).toBe(
      `api → staging already has deployment ${firstId} dispatched, requested by dana-deployer. Wait for it to finish.`,
    );

    const second = await runDeploy(app, app.actors.deployer, 'web', 'staging');
    const secondId = await deploymentIdOf(second);
    await waitForStatus(app, secondId, 'dispatched');
    const third = await runDeploy(app, app.actors.deployer, 'api', 'qa');
    const [cap] = await waitFor('the refusal', () =>
      third.followUps().length ? third.followUps() : undefined,
    );
    expect(cap.content).toBe(
      `2 deployments are already in flight, the most allowed at once: ${firstId} (api → staging), ${secondId} (web → staging). Try again when one finishes.`,
    );
    expect(await metricsText(app)).toMatch(/chatops_active_deployments 2/);

    for (const id of [firstId, secondId]) {
      const { runId } = await storedDeployment(app, id);
      github.setRunStatus(runId as number, 'completed', 'cancelled');
      await runWebhook(app, runId as number);
      await waitForStatus(app, id, 'cancelled');
    }
    await waitFor('the gauge to drop', async () =>
      /chatops_active_deployments 0/.test(await metricsText(app)),
    );
    const again = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    await waitForStatus(app, await deploymentIdOf(again), 'dispatched');
    const { runId } = (await appConnection(app.app)
      .collection('deployments')
      .find()
      .sort({ createdAt: -1 })
      .limit(1)
      .next())!;
    github.setRunStatus(runId, 'completed', 'success');
    await runWebhook(app, runId);
  });

  it('ignores duplicate and out-of-order deliveries, and runs it does not know', async () => {
    const interaction = await runDeploy(
      app,
      app.actors.deployer,
      'web',
      'prod'.replace('prod', 'staging'),
    );
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');
    const runId = (await storedDeployment(app, id)).runId as number;

    github.setRunStatus(runId, 'completed', 'success');
    const deliveryId = 'delivery-completed-1';
    expect(JSON.parse((await runWebhook(app, runId, { deliveryId })).body)).toEqual({
      status: 'accepted',
    });
    expect(JSON.parse((await runWebhook(app, runId, { deliveryId })).body)).toEqual({
      status: 'duplicate',
    });

    const late = {
      ...github.runPayload(github.runs.get(runId)!),
      status: 'in_progress',
      conclusion: null,
    };
    const stale = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'in_progress',
      workflow_run: late,
    });
    expect(stale.status).toBe(200);
    const stored = await storedDeployment(app, id);
    expect(stored.status).toBe('success');
    expect((stored.transitions as unknown[]).length).toBe(3);

    const unknownRun = { ...late, id: 123456789 };
    const unknown = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: unknownRun,
    });
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toEqual({ status: 'ignored' });

    const malformed = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: { id: 'x' },
    });
    expect(malformed.status).toBe(400);

    const metrics = await metricsText(app);
    expect(metrics).toMatch(
      /chatops_webhook_deliveries_total\{event="workflow_run",outcome="duplicate"\} 1/,
    );
    expect(metrics).toMatch(
      /chatops_webhook_deliveries_total\{event="workflow_run",outcome="ignored"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /chatops_webhook_deliveries_total\{event="workflow_run",outcome="malformed"\} 1/,
    );
  });

  it('keeps the message up to date after the interaction token has expired', async () => {
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');
    discord.expireInteractionTokens();
    const runId = (await storedDeployment(app, id)).runId as number;
    github.setRunStatus(runId, 'completed', 'success');
    await runWebhook(app, runId);
    await waitForMessageText(app, interaction, 'Succeeded');
    const edits = discord.callsTo(
      'PATCH',
      new RegExp(`^/channels/\\d+/messages/${interaction.reply()!.id}$`),
    );
    expect(edits.length).toBeGreaterThan(0);
  });

  it('finds the run by listing when GitHub answers 204, skipping runs it must not take', async () => {
    github.dispatchMode = 'no-content';
    const decoySha = github.addCommit('acme', 'web', 'main', 'Someone else');
    const decoy = github.createRun(
      'acme',
      'web',
      github.workflowId('acme', 'web'),
      'main',
      decoySha,
    );
    decoy.createdAt = new Date(Date.now() - 60_000).toISOString();

    const before = github.dispatches.length;
    const interaction = await runDeploy(app, app.actors.deployer, 'web', 'staging');
    const id = await deploymentIdOf(interaction);
    const dispatched = await waitFor('the dispatch', () => github.dispatches[before]);
    await waitFor(
      'the run to be found',
      async () => (await storedDeployment(app, id)).runId === dispatched.runId,
    );
    expect(dispatched.returnRunDetails).toBe(true);
    await waitForMessageText(app, interaction, `#${dispatched.runId}`);
    github.setRunStatus(dispatched.runId!, 'completed', 'success');
    await runWebhook(app, dispatched.runId!);
    await waitForStatus(app, id, 'success');
  });

  it('retries once without return_run_details when GitHub Enterprise refuses it', async () => {
    github.dispatchMode = 'reject-return-run-details';
    const before = github.dispatches.length;
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(interaction);
    await waitFor('the run to be found', async () =>
      Boolean((await storedDeployment(app, id)).runId),
    );
    expect(github.dispatches.length).toBe(before + 1);
    expect(github.dispatches.at(-1)!.returnRunDetails).toBe(false);
    const runId = (await storedDeployment(app, id)).runId as number;
    github.setRunStatus(runId, 'completed', 'success');
    await runWebhook(app, runId);
    await waitForStatus(app, id, 'success');
  });

  it('marks a refused dispatch dispatch_failed with GitHub’s reason, and releases the lock', async () => {
    github.failNext(/\/dispatches$/, 422, "Workflow does not have 'workflow_dispatch' trigger");
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatch_failed');
    const text = await waitForMessageText(app, interaction, 'Could not dispatch');
    expect(text).toContain(
      "GitHub refused the request for workflow deploy.yml in acme/api: Workflow does not have 'workflow_dispatch' trigger",
    );
    expect(await storedDeployment(app, id)).not.toHaveProperty('lockKey');
  });
});

describe('/deploy cooldown', () => {
  it('refuses a second deploy by the same person within DEPLOY_COOLDOWN_MS, saying how long to wait', async () => {
    const app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '60000', POLL_INTERVAL_MS: '600000' },
      arrange: ({ github }) => {
        github.addRepo('acme', 'api');
      },
    });
    const { github } = app;
    try {
      await seedService(app, { name: 'api', environments: ['staging', 'qa'] });
      const first = await runDeploy(app, app.actors.deployer, 'api', 'staging');
      await waitForStatus(app, await deploymentIdOf(first), 'dispatched');
      const second = await runDeploy(app, app.actors.deployer, 'api', 'qa');
      const [refusal] = await waitFor('the refusal', () =>
        second.followUps().length ? second.followUps() : undefined,
      );
      expect(refusal.content).toMatch(
        /^You deployed moments ago; you can deploy again in (59|60) s\.$/,
      );
      expect(github.dispatches).toHaveLength(1);
      // Another person is not held back by it.
      const other = await runDeploy(app, app.actors.admin, 'api', 'qa');
      await waitForStatus(app, await deploymentIdOf(other), 'dispatched');
      expect(github.dispatches).toHaveLength(2);
    } finally {
      await app.closeAll();
    }
  });
});

describe('/deploy, tracked by polling', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    discord.addChannel({ id: '333333333333333333', name: 'deploy-log' });
    github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    env = testEnvironment(discord, github, {
      DEPLOY_COOLDOWN_MS: '0',
      POLL_INTERVAL_MS: '200',
      DEPLOY_CHANNEL_ID: '333333333333333333',
    });
    app = await startTestApp(discord, github, env);
    await seedService(app, { name: 'api', environments: ['staging', 'qa', 'dev'] });
  });
  afterAll(() => app?.closeAll());

  it('follows the run with conditional GETs and announces the outcome once', async () => {
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');
    const runId = github.dispatches.at(-1)!.runId!;
    const runPath = new RegExp(`/actions/runs/${runId}$`);
    await waitFor('a 304', () =>
      github.calls.some((call) => runPath.test(call.path) && call.status === 304),
    );

    github.setRunStatus(runId, 'in_progress');
    await waitForMessageText(app, interaction, 'In progress');
    github.setRunStatus(runId, 'completed', 'success');
    await waitForMessageText(app, interaction, 'Succeeded');

    const announcements = await waitFor('the announcement', () => {
      const posted = discord.messagesIn('333333333333333333');
      return posted.length ? posted : undefined;
    });
    expect(announcements).toHaveLength(1);
    expect(announcements[0].content).toContain(`✅ Succeeded: **api** → staging`);
    expect(announcements[0].content).toContain(id);
    const polls = github.calls.filter((call) => runPath.test(call.path));
    expect(polls.filter((call) => call.status === 304).length).toBeGreaterThan(0);
    const polledAfterEnd = github.calls.length;
    await waitFor(
      'a few more ticks',
      async () => (await storedDeployment(app, id)).status === 'success',
    );
    expect(
      github.calls.slice(polledAfterEnd).filter((call) => runPath.test(call.path)),
    ).toHaveLength(0);
  });

  it('reports a run that finished while the bot was down, after the restart', async () => {
    const interaction = await runDeploy(app, app.actors.deployer, 'api', 'qa');
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');
    const runId = github.dispatches.at(-1)!.runId!;
    github.setRunStatus(runId, 'in_progress');
    await waitForStatus(app, id, 'in_progress');

    await app.close();
    github.setRunStatus(runId, 'completed', 'failure');
    app = await startTestApp(discord, github, { ...env, POLL_INTERVAL_MS: '600000' });
    await waitForStatus(app, id, 'failure');
    await waitForMessageText(app, interaction, 'Failed');
    expect(await metricsText(app)).toMatch(/chatops_active_deployments 0/);
  });

  it('resolves a deployment left dispatching by a crash by looking for its run, never re-dispatching', async () => {
    await app.close();
    const deployments = () => appConnection(app.app).collection('deployments');
    const workflowId = github.workflowId('acme', 'api');
    const sha = github.addCommit('acme', 'api', 'main', 'Crash test');
    const crashedAt = new Date(Date.now() - 5_000);
    const run = github.createRun('acme', 'api', workflowId, 'main', sha);
    const leftOver = (id: string, environment: string, at: Date) => ({
      _id: id as never,
      service: 'api',
      environment,
      ref: 'main',
      sha,
      requester: { id: '1', name: 'crashy' },
      status: 'dispatching',
      transitions: [{ status: 'dispatching', at }],
      createdAt: at,
      updatedAt: at,
      dispatchRef: 'main',
      dispatchRequestedAt: at,
      lockKey: `api:${environment}`,
      slot: 2,
      leaseUntil: at,
      nextCheckAt: at,
    });
    app = await startTestApp(discord, github, env);
    await deployments().insertOne(leftOver('d-c0ffee', 'dev', crashedAt));
    await deployments().insertOne({
      ...leftOver('d-dead00', 'staging', new Date(Date.now() - 180_000)),
      slot: 1,
      createdAt: new Date(),
    });
    const dispatches = github.dispatches.length;

    const found = await waitForStatus(app, 'd-c0ffee', 'queued');
    expect(found.runId).toBe(run.id);
    const failed = await waitForStatus(app, 'd-dead00', 'dispatch_failed');
    expect(failed.failureReason).toBe(
      'GitHub never started a run for this dispatch; it was not re-dispatched',
    );
    expect(github.dispatches.length).toBe(dispatches);
  });
});

describe('/deploy timeout', () => {
  it('reports timed_out, releases the lock, and records the real conclusion when it comes', async () => {
    const app = await startAppWithFakes({
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '200',
        DEPLOY_TIMEOUT_MS: '1000',
      },
      arrange: ({ github }) => {
        github.addRepo('acme', 'api');
      },
    });
    const { github } = app;
    try {
      await seedService(app, { name: 'api' });
      const interaction = await runDeploy(app, app.actors.deployer, 'api', 'staging');
      const id = await deploymentIdOf(interaction);
      const timedOut = await waitForStatus(app, id, 'timed_out');
      expect(timedOut).not.toHaveProperty('lockKey');
      const runId = timedOut.runId as number;
      const text = await waitForMessageText(app, interaction, 'Timed out');
      expect(text).toContain('no completion after 0 min; the run may still be going');
      expect(text).toContain(`#${runId}`);

      github.setRunStatus(runId, 'completed', 'success');
      await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
        action: 'completed',
        workflow_run: github.runPayload(github.runs.get(runId)!),
      });
      await waitForMessageText(app, interaction, 'GitHub later reported: success');
      expect(await storedDeployment(app, id)).toMatchObject({
        status: 'timed_out',
        runConclusion: 'success',
      });
      expect(await (await fetch(`${app.url}/metrics`)).text()).toMatch(
        /chatops_deployments_total\{service="api",environment="staging",status="timed_out"\} 1/,
      );
    } finally {
      await app.closeAll();
    }
  });
});
