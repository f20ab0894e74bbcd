import { DeploymentTransitions } from '../src/deployments/deployment-transitions.service';
import {
  answerOf,
  newService,
  recordInFlight,
  runWebhook,
  storedDeployment,
} from './support/deploys';
import {
  answersFor,
  firstAnswer,
  deploymentIdIn,
  GATE_CHANNEL,
  gatedEnv,
  gatedService,
  heldRun,
  requestFor,
  startGatedApp,
} from './support/environment-gate';
import { Actor, messageText } from './support/fake-discord/fake-discord';
import { sendWebhook } from './support/fake-github';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import {
  rolesOf,
  startTestApp,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
} from './support/test-app';
import { waitFor } from './support/wait-for';

/** Who may decide a run started on GitHub, and what the bot answers without asking anyone. */
/** A short random suffix for a name no other test uses. */
const suffix = () => Math.random().toString(16).slice(2, 8);

describe('the environment gate: people, settings and runs it only records', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startGatedApp();
  });
  afterAll(() => app?.closeAll());

  /** The gate's stored question about run `runId`, once it has been answered (or ignored). */
  const closedQuestion = (runId: number) =>
    waitFor(`the question about run ${runId} to be closed`, async () => {
      const doc = await appConnection(app.app).collection('gate_requests').findOne({ runId });
      return doc?.answer ? doc : undefined;
    });

  it('shows a linked member by name and never lets them approve the run their GitHub account started', async () => {
    const { discord, github, actors } = app;
    const thirdAdmin: Actor = {
      user: { id: snowflake(), username: 'carol-admin' },
      roles: [rolesOf(discord).admin],
      permissions: '0',
    };
    discord.addMember(actors.admin.user);
    const link = await discord.command('access', actors.secondAdmin, {
      subcommand: 'link',
      options: { member: actors.admin.user.id, login: 'Alice-GH' },
    });
    expect(await answerOf(link)).toContain('is now linked to GitHub account');

    const service = await gatedService(app);
    const run = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'alice-gh',
      environment: 'prod',
    });
    const message = await requestFor(app, run.id);
    expect(messageText(message)).toContain('Started on GitHub by: GitHub `alice-gh` (alice-admin)');
    const own = await discord.clickButton('Approve', actors.admin, message.id);
    expect((await own.waitForReply()).content).toBe(
      'Your linked GitHub account started this run: another admin has to approve it.',
    );
    for (const admin of [actors.secondAdmin, thirdAdmin])
      await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
    const answer = await firstAnswer(app, run.id);
    expect(answer!.comment).toMatch(/^Approved in Discord by bob-admin, carol-admin/);
  });

  it('never treats an App’s account as a person, and rejects at once what a lock stops', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    const byApp = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'chatops-deploy-bot[bot]',
      environment: 'prod',
    });
    const message = await requestFor(app, byApp.id);
    expect(messageText(message)).toContain('`chatops-deploy-bot[bot]` (an App, not a person)');
    await (await discord.clickButton('Reject', actors.admin, message.id)).firstCallback();

    const lock = await discord.command('lock', actors.admin, {
      options: { service: service.name, env: 'prod', reason: 'incident 42' },
    });
    await answerOf(lock);
    const locked = await heldRun(app, service.repo, 'push');
    await closedQuestion(locked.id);
    expect(answersFor(app, locked.id)).toEqual([
      expect.objectContaining({
        state: 'rejected',
        comment: expect.stringMatching(/^Not let through: .*locked by alice-admin.*incident 42/),
      }),
    ]);
    expect(
      discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${locked.id}`)),
    ).toEqual([]);
  });

  it('rejects at once a run into a frozen target, saying who froze it and why', async () => {
    const { discord } = app;
    const service = await gatedService(app);
    await answerOf(
      await discord.command('freeze', app.actors.admin, {
        options: { env: 'prod', service: service.name, reason: 'year-end freeze' },
      }),
    );
    const frozen = await heldRun(app, service.repo, 'push');
    await closedQuestion(frozen.id);
    expect(answersFor(app, frozen.id)).toEqual([
      expect.objectContaining({
        state: 'rejected',
        comment: expect.stringMatching(
          /^Not let through: .*is frozen.*alice-admin.*year-end freeze/,
        ),
      }),
    ]);
    expect(
      discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${frozen.id}`)),
    ).toEqual([]);
  });

  it('leaves unanswered an environment a service ignores, and a repository no service deploys', async () => {
    const { github } = app;
    const ignoring = await newService(app, {
      outsideRuns: { unknownEnvironments: 'ignore' },
    } as never);
    github.addEnvironment('acme', ignoring.repo, 'sandbox', { customRule: true });
    const ignored = await github.startRun('acme', ignoring.repo, {
      event: 'push',
      actor: 'octo-dev',
      environment: 'sandbox',
    });
    github.addRepo('acme', 'not-a-service');
    github.addEnvironment('acme', 'not-a-service', 'prod', { customRule: true });
    const foreign = await github.startRun('acme', 'not-a-service', {
      event: 'push',
      actor: 'octo-dev',
      environment: 'prod',
    });
    expect((await closedQuestion(ignored.id)).answer).toMatchObject({ outcome: 'ignored' });
    // Another repository's question is not even stored.
    await github.deliveriesSettled();
    expect(
      await appConnection(app.app)
        .collection('gate_requests')
        .countDocuments({ runId: foreign.id }),
    ).toBe(0);
    expect(answersFor(app, ignored.id)).toEqual([]);
    expect(answersFor(app, foreign.id)).toEqual([]);
    expect(github.waitingJobs(ignored.id, 'sandbox')).toBe(1);
  });

  it('never lets through unasked a run the bot did not start, even one it took for its own', async () => {
    const { github } = app;
    const service = await gatedService(app);
    const id = await recordInFlight(app, {
      service: service.name,
      environment: 'prod',
      sha: service.headSha,
    });
    const run = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'mallory',
    });
    expect(
      await app.app.get(DeploymentTransitions).linkRun(id, run.id, 'https://example.test/run'),
    ).toBe(true);
    await github.holdAtEnvironment(run, 'prod');
    await closedQuestion(run.id);
    expect(answersFor(app, run.id)).toEqual([
      expect.objectContaining({
        state: 'rejected',
        comment: expect.stringContaining(
          `followed as the deploy bot's own deployment ${id}, but the bot did not start it`,
        ),
      }),
    ]);
  });

  it('asks Discord about a run it had only observed once GitHub asks about it', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app, {
      outsideRuns: { unknownEnvironments: 'reject', environmentFrom: { fixed: 'prod' } },
    } as never);
    const run = await github.startRun('acme', service.repo, { event: 'push', actor: 'octo-dev' });
    github.setRunStatus(run.id, 'in_progress');
    await runWebhook(app, run.id);
    const observed = await waitFor('the run recorded as observed', async () =>
      appConnection(app.app).collection('deployments').findOne({ 'origin.runId': run.id }),
    );
    await github.holdAtEnvironment(run, 'prod');
    const message = await requestFor(app, run.id);
    expect(answersFor(app, run.id)).toEqual([]);
    expect((await storedDeployment(app, observed._id as unknown as string)).status).toBe(
      'superseded',
    );
    await (await discord.clickButton('Reject', actors.admin, message.id)).firstCallback();
    await waitFor('the rejection', () => answersFor(app, run.id).length === 1);
    expect(answersFor(app, run.id)[0]).toMatchObject({ state: 'rejected' });
  });

  it('holds a run at the CI gate until CI passes, then asks for approval', async () => {
    const { discord, github, actors, clock } = app;
    const service = await gatedService(app, { ci: false });
    const build = github.addCheckRun('acme', service.repo, service.headSha, 'build', 'in_progress');
    const run = await heldRun(app, service.repo, 'push');
    await requestFor(app, run.id, 'Waiting for CI');
    github.updateCheckRun('acme', service.repo, build, 'completed', 'success');
    // The gate looks again a poll interval later.
    clock.advance(600_001);
    const message = await waitFor(
      'CI to pass and the approval to be asked for',
      () =>
        discord
          .messagesIn(GATE_CHANNEL)
          .find(
            (m) =>
              messageText(m).includes(`#${run.id}`) && messageText(m).includes('approval needed'),
          ),
      { timeoutMs: 20_000 },
    );
    expect(answersFor(app, run.id)).toEqual([]);
    for (const admin of [actors.admin, actors.secondAdmin])
      await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
    await waitFor('the approval', () => answersFor(app, run.id).length === 1);
    expect(answersFor(app, run.id)[0]).toMatchObject({ state: 'approved' });
  });

  it('matches environments as GitHub does, ignoring case, and counts a link made after the request', async () => {
    const { discord, github, actors } = app;
    const service = await newService(app);
    github.addEnvironment('acme', service.repo, 'Prod', { customRule: true });
    const run = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'late-linker',
      environment: 'Prod',
    });
    const message = await requestFor(app, run.id);
    discord.addMember(actors.secondAdmin.user);
    await answerOf(
      await discord.command('access', actors.admin, {
        subcommand: 'link',
        options: { member: actors.secondAdmin.user.id, login: 'late-linker' },
      }),
    );
    const own = await discord.clickButton('Approve', actors.secondAdmin, message.id);
    expect((await own.waitForReply()).content).toContain('Your linked GitHub account started');
    await (await discord.clickButton('Reject', actors.admin, message.id)).firstCallback();
    expect(await firstAnswer(app, run.id)).toMatchObject({
      state: 'rejected',
      environment: 'Prod',
    });
  });

  it('rejects a run of another workflow that uses the environment: it is no registered service', async () => {
    const { github } = app;
    const repo = `two-workflows-${suffix()}`;
    github.addRepo('acme', repo, { workflows: ['deploy.yml', 'migrate.yml'] });
    const service = await newService(app, { repo });
    github.addEnvironment('acme', service.repo, 'prod', { customRule: true });
    const run = await github.startRun('acme', service.repo, {
      workflow: 'migrate.yml',
      event: 'workflow_dispatch',
      actor: 'octo-dev',
      environment: 'prod',
    });
    expect(await firstAnswer(app, run.id)).toMatchObject({
      state: 'rejected',
      comment: expect.stringContaining(
        'the workflow .github/workflows/migrate.yml is not registered',
      ),
    });
  });

  it('records a run GitHub reports by deployment status, with its environment, and lists it', async () => {
    const { discord, github, actors } = app;
    const service = await newService(app);
    const run = await github.startRun('acme', service.repo, { event: 'push', actor: 'octo-dev' });
    github.setRunStatus(run.id, 'in_progress');
    // https://docs.github.com/en/webhooks/webhook-events-and-payloads#deployment_status: a job
    // referencing `staging` started, and GitHub names its run.
    const delivery = await sendWebhook(app.url, WEBHOOK_SECRET, 'deployment_status', {
      action: 'created',
      deployment_status: { state: 'in_progress' },
      deployment: { environment: 'staging', sha: run.headSha, ref: run.headBranch },
      workflow_run: github.runPayload(run),
      repository: { name: service.repo, owner: { login: 'acme' } },
    });
    expect(JSON.parse(delivery.body)).toEqual({ status: 'accepted' });
    const recorded = await waitFor('the run’s message', () =>
      discord.messagesIn(GATE_CHANNEL).find((m) => messageText(m).includes(`#${run.id}`)),
    );
    const id = deploymentIdIn(recorded);
    expect(await storedDeployment(app, id)).toMatchObject({
      environment: 'staging',
      status: 'in_progress',
      origin: { login: 'octo-dev', gated: false },
    });
    const history = await discord.command('history', actors.viewer, {
      options: { service: service.name },
    });
    expect(await answerOf(history)).toContain(id);
    // Told again (a second status), it is one deployment still.
    await sendWebhook(app.url, WEBHOOK_SECRET, 'deployment_status', {
      action: 'created',
      deployment_status: { state: 'in_progress' },
      deployment: { environment: 'staging', sha: run.headSha, ref: run.headBranch },
      workflow_run: github.runPayload(run),
      repository: { name: service.repo, owner: { login: 'acme' } },
    });
    const count = await appConnection(app.app)
      .collection('deployments')
      .countDocuments({ 'origin.runId': run.id });
    expect(count).toBe(1);
  });
});

describe('the environment gate across a restart', () => {
  it('keeps a request waiting through a restart and answers it once', async () => {
    let app = await startGatedApp();
    try {
      const { discord, github } = app;
      const service = await gatedService(app);
      const run = await heldRun(app, service.repo);
      const message = await requestFor(app, run.id);
      const uri = app.config.mongo.uri;
      await app.close();
      // The same database: only the process is new.
      app = await startTestApp(
        discord,
        github,
        testEnvironment(discord, github, { ...gatedEnv, MONGODB_URI: uri }),
      );
      github.deliverWebhooksTo(app.url, WEBHOOK_SECRET);
      for (const admin of [app.actors.admin, app.actors.secondAdmin])
        await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
      await waitFor('the answer after the restart', () => answersFor(app, run.id).length === 1);
      expect(answersFor(app, run.id)[0]).toMatchObject({ state: 'approved' });
      expect(
        discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${run.id}`)),
      ).toHaveLength(1);
    } finally {
      await app.closeAll();
    }
  });
});
