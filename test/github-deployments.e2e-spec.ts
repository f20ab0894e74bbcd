import {
  answerOf,
  deploy,
  deploymentIdOf,
  finishRun,
  newService,
  runOf,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import type { Deployment } from '../src/deployments/deployment';
import { FakeDeployment, sendWebhook } from './support/fake-github';
import { messageText } from './support/fake-discord/fake-discord';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * GitHub's Deployments page shows what the bot deployed: a deployment created before the
 * dispatch, then one deployment status per step of the run, in order.
 */
describe('GitHub Deployments', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000', APPROVALS_REQUIRED: '1' },
    });
  });
  afterAll(() => app?.closeAll());

  const states = (deployment: FakeDeployment) => deployment.statuses.map((status) => status.state);

  /** GitHub's deployment of one bot deployment, once it exists. */
  const githubDeploymentOf = (repo: string, id: string) =>
    waitFor(`GitHub's deployment of ${id}`, async () =>
      app.github.deployments.find((d) => d.repo === repo && d.payload.deployment_id === id),
    ) as Promise<FakeDeployment>;

  /** Waits until GitHub's deployment has received `count` statuses. */
  const statusesReach = (deployment: FakeDeployment, count: number) =>
    waitFor(`${count} statuses on GitHub deployment ${deployment.id}`, async () =>
      deployment.statuses.length >= count ? true : undefined,
    );

  async function moveRun(id: string, status: 'in_progress') {
    const runId = await runOf(app, id);
    app.github.setRunStatus(runId, status);
    await runWebhook(app, runId);
    await waitForStatus(app, id, status);
  }

  it('creates the deployment for the SHA before the dispatch, then queued, in_progress (with the run) and success with the URL', async () => {
    const service = await newService(app);
    const url = await app.discord.command('service', app.actors.admin, {
      subcommand: 'target',
      options: { name: service.name, env: 'staging', url: 'https://staging.example.com' },
    });
    await url.waitForReply();
    expect(url.replyText()).toContain(`Target staging of ${service.name} changed`);

    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatched');
    const created = await githubDeploymentOf(service.repo, id);
    expect(created).toMatchObject({
      sha: service.headSha,
      ref: service.headSha,
      environment: 'staging',
      autoMerge: false,
      requiredContexts: [],
      productionEnvironment: false,
      payload: {
        deployment_id: id,
        service: service.name,
        // Discord ids only: no names on GitHub.
        requester: { id: app.actors.deployer.user.id },
        approvers: [],
      },
    });
    // Created before the dispatch.
    const calls = app.github.calls.map((call) => `${call.method} ${call.route}`);
    expect(calls.lastIndexOf('POST /repos/{owner}/{repo}/deployments')).toBeLessThan(
      calls.lastIndexOf('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches'),
    );
    await statusesReach(created, 1);

    await moveRun(id, 'in_progress');
    await statusesReach(created, 2);
    await finishRun(app, id, 'success');
    await statusesReach(created, 3);
    const run = await storedDeployment(app, id);
    expect(created.statuses).toEqual([
      expect.objectContaining({ state: 'queued', logUrl: run.runUrl }),
      expect.objectContaining({ state: 'in_progress', logUrl: run.runUrl }),
      expect.objectContaining({
        state: 'success',
        logUrl: run.runUrl,
        environmentUrl: 'https://staging.example.com',
      }),
    ]);
    await waitFor('the posted state on the record', async () => {
      const { githubDeployment } = (await storedDeployment(app, id)) as unknown as Deployment;
      return githubDeployment?.state === 'success' && githubDeployment.id === created.id;
    });
  });

  it('posts failure for a failed run and inactive for a cancelled one', async () => {
    const service = await newService(app);
    const failed = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, failed.id, 'dispatched');
    await finishRun(app, failed.id, 'failure');
    const first = await githubDeploymentOf(service.repo, failed.id);
    await statusesReach(first, 2);
    expect(states(first)).toEqual(['queued', 'failure']);

    const cancelled = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, cancelled.id, 'dispatched');
    const second = await githubDeploymentOf(service.repo, cancelled.id);
    await statusesReach(second, 1);
    await answerOf(
      await app.discord.command('cancel', app.actors.deployer, { options: { id: cancelled.id } }),
    );
    await runWebhook(app, await runOf(app, cancelled.id));
    await waitForStatus(app, cancelled.id, 'cancelled');
    await statusesReach(second, 2);
    expect(states(second)).toEqual(['queued', 'inactive']);
  });

  it('records a protected target as production with its approvers, and a successful rollback makes itself the active one', async () => {
    const service = await newService(app);
    const shipped = async (subject: string) => {
      app.github.addCommit('acme', service.repo, 'main', subject);
      const { id, messageId } = await deploy(app, app.actors.deployer, service.name, 'prod');
      await app.discord.clickButton('Approve', app.actors.admin, messageId);
      await waitForStatus(app, id, 'dispatched');
      await finishRun(app, id);
      const recorded = await githubDeploymentOf(service.repo, id);
      await statusesReach(recorded, 2);
      return recorded;
    };
    const v1 = await shipped('v1');
    const v2 = await shipped('v2: broken');
    expect(v2).toMatchObject({
      productionEnvironment: true,
      payload: {
        approvers: [{ id: app.actors.admin.user.id }],
      },
    });
    // Production deployments are not made inactive by GitHub itself.
    expect(states(v1)).toEqual(['queued', 'success']);

    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: service.name, env: 'prod' },
    });
    const r = await deploymentIdOf(rollback);
    await app.discord.clickButton('Approve', app.actors.admin, rollback.reply()!.id);
    await waitForStatus(app, r, 'dispatched');
    await finishRun(app, r);
    const back = await githubDeploymentOf(service.repo, r);
    expect(back).toMatchObject({ sha: v1.sha, payload: { rollback_of: v2.payload.deployment_id } });
    await statusesReach(back, 2);
    await statusesReach(v2, 3);
    expect(states(back)).toEqual(['queued', 'success']);
    expect(states(v2)).toEqual(['queued', 'success', 'inactive']);
    expect(v2.statuses.at(-1)!.description).toBe(`rolled back by ${r}`);
  });

  it('never holds a deploy back: a refusal is noted on the message, a GitHub outage is retried', async () => {
    const service = await newService(app);
    app.github.failNext(
      new RegExp(`/repos/acme/${service.repo}/deployments$`),
      422,
      'Validation Failed',
    );
    const refused = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, refused.id, 'dispatched');
    const text = await waitForMessageText(app, refused.interaction, 'GitHub Deployments');
    expect(text).toContain(
      'not recorded on GitHub: GitHub refused the request for a deployment in acme/',
    );
    expect(text).toContain('the deploy itself went on');
    await finishRun(app, refused.id);
    expect(app.github.deployments.some((d) => d.payload.deployment_id === refused.id)).toBe(false);

    /** A deploy to its end: GitHub holds exactly one record of it, queued then success. */
    const deployedOnce = async () => {
      const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
      await waitForStatus(app, id, 'dispatched');
      const made = await githubDeploymentOf(service.repo, id);
      await statusesReach(made, 1);
      await finishRun(app, id);
      await statusesReach(made, 2);
      expect(states(made)).toEqual(['queued', 'success']);
      expect(app.github.deployments.filter((d) => d.payload.deployment_id === id)).toHaveLength(1);
    };
    const creation = new RegExp(`/repos/acme/${service.repo}/deployments$`);
    // An outage: the dispatch goes on; GitHub's deployment is made once GitHub answers.
    app.github.failNext(creation, 502, 'Bad Gateway');
    await deployedOnce();
    // GitHub made it but the answer was lost: it is found by its payload, not made twice.
    app.github.loseNextAnswer(creation);
    await deployedOnce();
  });

  it('records nothing on GitHub for a service set to off', async () => {
    const service = await newService(app);
    const set = await app.discord.command('service', app.actors.admin, {
      subcommand: 'github-deployments',
      options: { name: service.name, mode: 'off' },
    });
    await set.waitForReply();
    expect(set.replyText()).toContain('off: not recorded by the bot');
    const refused = await app.discord.command('service', app.actors.deployer, {
      subcommand: 'github-deployments',
      options: { name: service.name, mode: 'bot' },
    });
    expect(await answerOf(refused)).toContain('Only admins');
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, id);
    expect(app.github.deployments.filter((d) => d.repo === service.repo)).toEqual([]);
    expect((await storedDeployment(app, id)).githubDeployment).toBeUndefined();
  });

  it('refuses an environment URL that is not a plain web address', async () => {
    const service = await newService(app);
    for (const url of ['javascript:alert(1)', 'https://user:pw@example.com', 'not a url']) {
      const set = await app.discord.command('service', app.actors.admin, {
        subcommand: 'target',
        options: { name: service.name, env: 'staging', url },
      });
      expect(await answerOf(set)).toContain('Invalid url: a web address');
    }
  });
});

/** `promote-from`: a commit reaches a target only after it succeeded on the one before. */
describe('the promotion order', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000', APPROVALS_REQUIRED: '1' },
    });
  });
  afterAll(() => app?.closeAll());

  const setTarget = async (options: Record<string, string>, actor = app.actors.admin) =>
    answerOf(await app.discord.command('service', actor, { subcommand: 'target', options }));

  it('refuses prod until the commit succeeded on staging, names where it must go, and lets a rollback through', async () => {
    const service = await newService(app, { environments: ['dev', 'staging', 'prod'] });
    expect(
      await setTarget(
        { name: service.name, env: 'prod', 'promote-from': 'staging' },
        app.actors.deployer,
      ),
    ).toContain('Only admins');
    await setTarget({ name: service.name, env: 'prod', 'promote-from': 'staging' });
    expect(await setTarget({ name: service.name, env: 'staging', 'promote-from': 'prod' })).toBe(
      'Invalid promote-from: prod already has to come after staging, so nothing could be deployed to either.',
    );
    expect(await setTarget({ name: service.name, env: 'prod', 'promote-from': 'qa' })).toBe(
      'Invalid promote-from: one of dev, staging, or "none".',
    );

    const v1 = service.headSha;
    const dispatches = app.github.dispatches.length;
    const refused = await app.discord.command('deploy', app.actors.deployer, {
      options: { service: service.name, env: 'prod' },
    });
    expect(await answerOf(refused)).toBe(
      `\`${v1.slice(0, 7)}\` has not been deployed successfully to staging yet: deploy it there first (prod takes only what succeeded on staging).`,
    );
    expect(app.github.dispatches.length).toBe(dispatches);

    // A failed deploy to staging does not count.
    const failed = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, failed.id, 'failure');
    expect(
      await answerOf(
        await app.discord.command('deploy', app.actors.deployer, {
          options: { service: service.name, env: 'prod' },
        }),
      ),
    ).toContain('has not been deployed successfully to staging yet');

    const staged = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, staged.id);
    const first = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, first.messageId);
    await finishRun(app, first.id);

    // v2 succeeds on staging and prod; rolling prod back to v1 needs no new staging run.
    app.github.addCommit('acme', service.repo, 'main', 'v2');
    const staged2 = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, staged2.id);
    const second = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, second.messageId);
    await finishRun(app, second.id);
    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: service.name, env: 'prod' },
    });
    const r = await deploymentIdOf(rollback);
    expect((await storedDeployment(app, r)).sha).toBe(v1);

    const cleared = await setTarget({ name: service.name, env: 'prod', 'promote-from': 'none' });
    expect(cleared).toContain(`Target prod of ${service.name} changed`);
    expect(cleared).toContain('Targets: no URLs, no promotion order');
  });
});

/** The run's jobs on the message: from workflow_job webhooks, or read once when the run failed. */
describe('job progress and the failing step', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' },
    });
  });
  afterAll(() => app?.closeAll());

  const jobWebhook = (event: Record<string, unknown>, deliveryId?: string) =>
    sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_job', event, deliveryId ? { deliveryId } : {});

  it('shows each job from its webhooks, the failing step with its log, and never moves the status by a job', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatched');
    const runId = await runOf(app, id);
    const steps = ['Set up job', 'Checkout', 'Build', 'Migrate', 'Deploy', 'Smoke test'];
    const build = app.github.addJob(runId, 'build', ['Set up job', 'Checkout', 'Compile']);
    const release = app.github.addJob(runId, 'release **now** <@everyone>', steps);

    app.github.setJob(build.id, 'in_progress', { running: 3 });
    await jobWebhook(app.github.jobEvent(build));
    await waitForMessageText(app, interaction, '🔄 build: running step 3/3: Compile');
    app.github.setJob(release.id, 'waiting');
    await jobWebhook(app.github.jobEvent(release));
    await waitForMessageText(app, interaction, 'waiting for GitHub environment approval');
    expect((await storedDeployment(app, id)).status).toBe('dispatched');

    app.github.setJob(build.id, 'completed', { running: 3, conclusion: 'success' });
    await jobWebhook(app.github.jobEvent(build));
    app.github.setJob(release.id, 'in_progress', { running: 4 });
    const running = app.github.jobEvent(release);
    expect((await jobWebhook(running, 'job-delivery-1')).status).toBe(200);
    await waitForMessageText(app, interaction, 'running step 4/6: Migrate');

    app.github.setJob(release.id, 'completed', { running: 4, conclusion: 'failure' });
    await jobWebhook(app.github.jobEvent(release));
    // A redelivery of the older report changes nothing: a job never goes back.
    const again = await jobWebhook(running, 'job-delivery-1');
    expect(again).toEqual({ status: 200, body: expect.stringContaining('duplicate') });
    await jobWebhook(running, 'job-delivery-2');
    const text = await waitForMessageText(app, interaction, 'failed at step 4/6: Migrate');
    expect(text).toContain('✅ build: done');
    expect(text).toContain('❌ release **now** <@everyone>: failed');
    expect(text).toMatch(
      /failed at step 4\/6: Migrate · \[log\]\(https:\/\/github\.example\/acme\/[^)]+\/job\/\d+\)/,
    );
    expect((await storedDeployment(app, id)).status).toBe('dispatched');

    const reads = app.github.calls.filter((call) => call.route.endsWith('/jobs')).length;
    await finishRun(app, id, 'failure');
    const failed = await waitForMessageText(app, interaction, 'Failed');
    expect(failed).toMatch(/❌ Failed in \S+: job release .*step 4\/6: Migrate/);
    // The failing step was known from the webhooks: the jobs were not read.
    expect(app.github.calls.filter((call) => call.route.endsWith('/jobs')).length).toBe(reads);
  });

  it('reads the jobs once when a run fails without job reports', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    const job = app.github.addJob(runId, 'deploy', ['Set up job', 'Apply', 'Verify']);
    app.github.setJob(job.id, 'completed', { running: 2, conclusion: 'failure' });
    await finishRun(app, id, 'failure');
    const text = await waitForMessageText(app, interaction, 'step 2/3: Apply');
    expect(text).toContain('job deploy, step 2/3: Apply');
    expect(
      app.github.calls.filter(
        (call) => call.route === '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
      ),
    ).toHaveLength(1);
    expect(messageText(interaction.reply()!)).toBeDefined();
  });
});
