import {
  deploy,
  ephemeralAnswer,
  finishRun,
  metricsOf,
  newService,
  runWebhook,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import {
  answersFor,
  firstAnswer,
  deploymentIdIn,
  GATE_CHANNEL,
  gatedService,
  heldRun,
  requestFor,
  startGatedApp,
} from './support/environment-gate';
import { messageText } from './support/fake-discord/fake-discord';
import { sendWebhook } from './support/fake-github';
import { TestApp, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('the environment gate: Discord approvals bind GitHub’s environment', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startGatedApp();
  });
  afterAll(() => app?.closeAll());

  it('holds a run started from GitHub’s Run workflow button until two admins approve in Discord', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    const run = await heldRun(app, service.repo);
    const message = await requestFor(app, run.id);
    const text = messageText(message);
    expect(text).toContain(`Deploy ${service.name} → prod: approval needed`);
    expect(text).toContain('Started on GitHub by: GitHub `octo-dev` (not linked)');
    expect(text).toContain('the Run workflow button');
    expect(text).toContain('Approvals: 0 of 2');
    expect(text).toContain('First deployment to prod');
    expect(github.waitingJobs(run.id, 'prod')).toBe(1);
    expect(answersFor(app, run.id)).toEqual([]);

    const first = await discord.clickButton('Approve', actors.admin, message.id);
    await first.firstCallback();
    await waitFor('the first approval on the message', () =>
      messageText(discord.message(message.id)).includes('Approvals: 1 of 2'),
    );
    expect(answersFor(app, run.id)).toEqual([]);
    const second = await discord.clickButton('Approve', actors.secondAdmin, message.id);
    await second.firstCallback();

    const answer = await firstAnswer(app, run.id);
    expect(answer).toMatchObject({ environment: 'prod', state: 'approved' });
    expect(answer!.comment).toMatch(/^Approved in Discord by alice-admin, bob-admin for /);
    expect(github.runs.get(run.id)!.status).toBe('in_progress');

    // The run is followed like any other, and its success is what runs on prod now.
    const id = deploymentIdIn(message);
    const stored = await waitForStatus(app, id, 'dispatched');
    expect(stored).toMatchObject({ runId: run.id, origin: { login: 'octo-dev', gated: true } });
    await finishRun(app, id, 'success');
    await waitFor('the message to show the success', () =>
      /succeeded|Success/i.test(messageText(discord.message(message.id))),
    );
    expect(answersFor(app, run.id)).toHaveLength(1);
    expect(github.dispatches.filter((d) => d.repo === service.repo)).toEqual([]);
    expect(await metricsOf(app)).toMatch(
      /chatops_environment_gate_answers_total\{state="approved",outcome="accepted"\} [1-9]/,
    );
  });

  it('fails the job when an admin rejects, naming who did', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    const run = await heldRun(app, service.repo, 'push');
    const message = await requestFor(app, run.id);
    expect(messageText(message)).toContain('a push');
    const reject = await discord.clickButton('Reject', actors.admin, message.id);
    await reject.firstCallback();
    const answer = await firstAnswer(app, run.id);
    expect(answer).toMatchObject({ state: 'rejected' });
    expect(answer!.comment).toMatch(/^Rejected in Discord by alice-admin/);
    expect(github.runs.get(run.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect((await storedDeployment(app, deploymentIdIn(message))).status).toBe('rejected');
  });

  it('refuses a deployer’s Approve, and one request for every job of the run', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    const run = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'octo-dev',
      environment: 'prod',
      jobs: 3,
    });
    const message = await requestFor(app, run.id);
    const click = await discord.clickButton('Approve', actors.deployer, message.id);
    expect(await ephemeralAnswer(click)).toContain('Only admins for prod can approve');
    for (const admin of [actors.admin, actors.secondAdmin])
      await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
    await waitFor('the jobs to go on', () => github.runs.get(run.id)!.status === 'in_progress');
    const requests = discord
      .messagesIn(GATE_CHANNEL)
      .filter((m) => messageText(m).includes(`#${run.id}`));
    expect(requests).toHaveLength(1);
    expect(answersFor(app, run.id)).toHaveLength(1);
    expect(github.waitingJobs(run.id, 'prod')).toBe(0);
  });

  it('lets the bot’s own dispatch through without a second Discord request', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    const { interaction, id } = await deploy(app, actors.deployer, service.name, 'prod');
    for (const admin of [actors.admin, actors.secondAdmin])
      await (await discord.clickButton('Approve', admin, interaction.reply()!.id)).firstCallback();
    const stored = await waitForStatus(app, id, 'dispatched');
    const runId = (await waitFor(
      `${id}'s run`,
      async () => (await storedDeployment(app, id)).runId,
    )) as number;
    const answer = await firstAnswer(app, runId);
    expect(stored.status).toBe('dispatched');
    expect(answer).toMatchObject({ state: 'approved' });
    expect(github.runs.get(runId)!.status).toBe('in_progress');
    expect(answer!.comment).toMatch(/^Approved in Discord by alice-admin, bob-admin for /);
    expect(
      discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${runId}`)),
    ).toEqual([]);
  });

  it('rejects a run on an environment the service does not list, saying why', async () => {
    const { github } = app;
    const service = await newService(app);
    github.addEnvironment('acme', service.repo, 'sandbox', { customRule: true });
    const run = await github.startRun('acme', service.repo, {
      event: 'workflow_dispatch',
      actor: 'octo-dev',
      environment: 'sandbox',
    });
    const answer = await firstAnswer(app, run.id);
    expect(answer).toMatchObject({ state: 'rejected', environment: 'sandbox' });
    expect(answer!.comment).toContain(
      `sandbox is not registered with ${service.name} in the deploy bot`,
    );
  });

  it('rejects a request not decided in time, with a comment', async () => {
    const { clock } = app;
    const service = await gatedService(app);
    const run = await heldRun(app, service.repo);
    const message = await requestFor(app, run.id);
    clock.advance(600_001);
    const answer = await firstAnswer(app, run.id);
    expect(answer).toMatchObject({ state: 'rejected' });
    expect(answer!.comment).toMatch(/^Not decided in Discord within 10 minute\(s\)/);
    expect((await storedDeployment(app, deploymentIdIn(message))).status).toBe('expired');
  });

  it('sends an answer that failed again until GitHub takes it, and only to its own API host', async () => {
    const { discord, github, actors } = app;
    const service = await gatedService(app);
    github.failNext(/deployment_protection_rule$/, 502, 'bad gateway', 2);
    const run = await heldRun(app, service.repo);
    const message = await requestFor(app, run.id);
    // A replay of the delivery with a callback on another host opens nothing and calls nothing there.
    const replayed = github.deliveries.find(
      (d) =>
        d.event === 'deployment_protection_rule' &&
        (d.payload as { deployment_callback_url?: string }).deployment_callback_url?.includes(
          `/runs/${run.id}/`,
        ),
    )!;
    const forged = {
      ...(replayed.payload as Record<string, unknown>),
      deployment_callback_url: `https://evil.example/repos/acme/${service.repo}/actions/runs/${run.id}/deployment_protection_rule`,
    };
    expect(
      (
        await sendWebhook(app.url, WEBHOOK_SECRET, 'deployment_protection_rule', forged, {
          deliveryId: replayed.deliveryId,
        })
      ).status,
    ).toBe(200);
    for (const admin of [actors.admin, actors.secondAdmin])
      await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
    // Two 502s, then the answer goes through (the bot waits 1 s, then 2 s).
    await waitFor(
      'the answer to get through',
      () => {
        app.clock.advance(2_000);
        return answersFor(app, run.id).length === 1;
      },
      { timeoutMs: 20_000 },
    );
    const posts = github.calls.filter(
      (call) =>
        call.method === 'POST' && call.path.endsWith(`/runs/${run.id}/deployment_protection_rule`),
    );
    expect(posts.map((call) => call.status)).toEqual([502, 502, 204]);
    expect(
      discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${run.id}`)),
    ).toHaveLength(1);
  });

  it('records a run started by a push as what runs now, and /rollback goes back before it', async () => {
    const { discord, github, actors } = app;
    const service = await newService(app, {
      outsideRuns: { unknownEnvironments: 'reject', environmentFrom: { fixed: 'staging' } },
    } as never);
    const first = await deploy(app, actors.deployer, service.name, 'staging');
    await finishRun(app, first.id, 'success');
    const pushed = github.addCommit('acme', service.repo, 'main', 'fix: the thing');
    const run = await github.startRun('acme', service.repo, {
      event: 'push',
      actor: 'octo-dev',
      sha: pushed,
    });
    github.setRunStatus(run.id, 'in_progress');
    await runWebhook(app, run.id);
    const recorded = await waitFor('the push run recorded', async () =>
      discord.messagesIn(GATE_CHANNEL).find((m) => messageText(m).includes(`#${run.id}`)),
    );
    const id = deploymentIdIn(recorded);
    expect(await storedDeployment(app, id)).toMatchObject({
      status: 'in_progress',
      sha: pushed,
      origin: { login: 'octo-dev', event: 'push', gated: false },
    });
    github.setRunStatus(run.id, 'completed', 'success');
    await runWebhook(app, run.id);
    await waitForStatus(app, id, 'success');

    const rollback = await discord.command('rollback', actors.admin, {
      options: { service: service.name, env: 'staging' },
    });
    await waitFor(
      'the rollback to be dispatched',
      () => github.dispatches.filter((d) => d.repo === service.repo).length === 2,
    );
    expect(rollback.id).toBeDefined();
    const dispatched = github.dispatches.filter((d) => d.repo === service.repo).at(-1)!;
    expect(Object.values(dispatched.inputs)).toContain(
      github.runs.get((await storedDeployment(app, first.id)).runId as number)!.headSha,
    );
  });
});
