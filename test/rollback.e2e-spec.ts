import {
  deploymentIdOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from '../libs/testing/deploys';
import {
  Actor,
  FakeDiscord,
  InteractionHandle,
  messageText,
} from '../libs/testing/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from '../libs/testing/fake-github';
import { appConnection } from '../libs/testing/mongo';
import {
  startFakeDiscord,
  startTestApp,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
} from '../libs/testing/test-app';
import { waitFor } from '../libs/testing/wait-for';

async function finishRun(
  app: TestApp,
  id: string,
  conclusion: 'success' | 'failure' | 'cancelled',
) {
  const runId = (await waitFor(
    `${id}'s run`,
    async () => (await storedDeployment(app, id)).runId,
  )) as number;
  if (app.github.runs.get(runId)!.status !== 'completed')
    app.github.setRunStatus(runId, 'completed', conclusion);
  await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
    action: 'completed',
    workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
  });
  await waitForStatus(app, id, conclusion);
}

/** Runs a command and waits for its reply (public) or its private refusal. */
async function reply(interaction: InteractionHandle): Promise<string> {
  return waitFor('an answer', () => {
    const refusal = interaction.followUps()[0];
    if (refusal) return refusal.content;
    const message = interaction.reply();
    return message && !(message.flags & 128) ? messageText(message) : undefined;
  });
}

describe('/rollback, /history, /status, /cancel, /lock', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;
  let env: Record<string, string | undefined>;
  const shas: string[] = [];

  /** A prod deploy of the branch head at `sha`, approved and successful. */
  async function deployProd(
    actor: Actor,
    conclusion: 'success' | 'failure' = 'success',
  ): Promise<string> {
    const request = await runDeploy(app, actor, 'api', 'prod');
    const id = await deploymentIdOf(request);
    await discord.clickButton('Approve', app.actors.admin, request.reply()!.id);
    await waitForStatus(app, id, 'dispatched');
    await finishRun(app, id, conclusion);
    return id;
  }

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    env = testEnvironment(discord, github, { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '300' });
    app = await startTestApp(discord, github, env);
    await seedService(app, {
      name: 'api',
      environments: ['staging', 'prod'],
      protectedEnvironments: ['prod'],
    });
  });
  afterAll(() => app?.closeAll());

  it('rolls back to the previous good SHA through approval, then further back', async () => {
    shas.push(github.addCommit('acme', 'api', 'main', 'v1'));
    const d1 = await deployProd(app.actors.deployer);
    shas.push(github.addCommit('acme', 'api', 'main', 'v2'));
    const d2 = await deployProd(app.actors.deployer);
    shas.push(github.addCommit('acme', 'api', 'main', 'v3: broken'));
    const d3 = await deployProd(app.actors.deployer);
    // A failed deploy is never a rollback target, nor what "runs now".
    github.addCommit('acme', 'api', 'main', 'v4: fails to deploy');
    await deployProd(app.actors.deployer, 'failure');

    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api' },
    });
    const r1 = await deploymentIdOf(rollback);
    const prompt = messageText(rollback.reply()!);
    expect(prompt).toContain('Rollback api → prod: approval needed');
    expect(prompt).toContain(
      `Rolling back: \`${shas[2].slice(0, 7)}\` (${d3}) → \`${shas[1].slice(0, 7)}\` (${d2})`,
    );
    expect(prompt).toContain('⚠️ **Rolls back 1 commit** now on prod.');
    expect(prompt).toMatch(/Removes: 1 commit deployed on prod now: \[Full comparison\]/);
    expect(prompt).toContain('v3: broken');
    const dispatches = github.dispatches.length;
    await discord.clickButton('Approve', app.actors.admin, rollback.reply()!.id);
    await waitForStatus(app, r1, 'dispatched');
    expect(github.dispatches.length).toBe(dispatches + 1);
    expect(github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { environment: 'prod', sha: shas[1] },
    });
    await finishRun(app, r1, 'success');
    await waitFor(
      'd3 to be superseded',
      async () => (await storedDeployment(app, d3)).supersededBy === r1,
    );

    const again = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api', env: 'prod' },
    });
    const r2 = await deploymentIdOf(again);
    expect(messageText(again.reply()!)).toContain(`→ \`${shas[0].slice(0, 7)}\` (${d1})`);
    await discord.clickButton('Approve', app.actors.admin, again.reply()!.id);
    await waitForStatus(app, r2, 'dispatched');
    expect(github.dispatches.at(-1)!.inputs.sha).toBe(shas[0]);
    await finishRun(app, r2, 'success');
  });

  it('marks what a successful rollback went over again at start, after a crash in between', async () => {
    const deployments = appConnection(app.app).collection('deployments');
    const r2 = (await deployments
      .find({ status: 'success', rollback: { $exists: true } })
      .sort({ finishedAt: -1 })
      .next())!;
    const overtaken = await deployments.find({ supersededBy: r2._id }).toArray();
    expect(overtaken.length).toBeGreaterThan(0);
    // A crash between the rollback's success and the marking: nothing marked, still pending.
    await deployments.updateMany({ supersededBy: r2._id }, { $unset: { supersededBy: '' } });
    await deployments.updateOne({ _id: r2._id }, { $set: { supersedePending: true } });
    await app.close();
    app = await startTestApp(discord, github, env);
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ supersededBy: r2._id }),
    ).toBe(overtaken.length);
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ supersedePending: true }),
    ).toBe(0);
  });

  it('rolls back to an explicit SHA or id that succeeded there, and refuses anything else', async () => {
    const unknown = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api', env: 'prod', to: 'deadbeefdeadbeef' },
    });
    expect(await reply(unknown)).toBe(
      'Invalid to: "deadbeefdeadbeef" is not a deployment id or SHA that succeeded in prod.',
    );
    const never = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api', env: 'staging' },
    });
    expect(await reply(never)).toBe(
      'Nothing has been deployed successfully to staging: nothing to roll back.',
    );
    const byViewer = await app.discord.command('rollback', app.actors.viewer, {
      options: { service: 'api', env: 'prod' },
    });
    expect(await reply(byViewer)).toBe('Only deployers and admins for prod can roll back api.');

    const explicit = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api', env: 'prod', to: shas[2].slice(0, 10) },
    });
    const id = await deploymentIdOf(explicit);
    expect((await storedDeployment(app, id)).sha).toBe(shas[2]);
    await discord.clickButton('Cancel', app.actors.deployer, explicit.reply()!.id);
    await waitForStatus(app, id, 'rejected');
  });

  it('/history shows the truth, newest first, rollbacks marked', async () => {
    const history = await app.discord.command('history', app.actors.viewer, {
      options: { service: 'api', env: 'prod', limit: 25 },
    });
    const text = await reply(history);
    expect(history.ephemeral).toBe(true);
    const lines = text.split('\n').slice(1);
    expect(lines[0]).toContain('🚫 Cancelled before dispatch');
    expect(lines[1]).toMatch(
      /✅ Succeeded .* by dana-deployer, approved by alice-admin .*\[run\]\(https:\/\/github\.example.*↩️ rollback to d-/,
    );
    expect(text).toContain('❌ Failed');
    expect(text).toMatch(/rolled back by d-[0-9a-f]{6}/);
    expect(lines.length).toBeGreaterThanOrEqual(7);
  });

  it('/status shows what runs where, what moves, and locks; a lock blocks deploys and rollbacks until unlocked', async () => {
    const byDeployer = await app.discord.command('lock', app.actors.deployer, {
      options: { service: 'api', env: 'staging', reason: 'release freeze' },
    });
    expect(await reply(byDeployer)).toBe('Only admins can lock targets in staging.');

    const lock = await app.discord.command('lock', app.actors.admin, {
      options: { service: 'api', env: 'prod', reason: 'incident 42' },
    });
    expect(await reply(lock)).toBe('🔒 api → prod is locked by alice-admin: incident 42');
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'prod');
    expect(await reply(deploy)).toMatch(
      /^api → prod is locked by alice-admin since <t:\d+:f>: incident 42$/,
    );
    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: 'api', env: 'prod' },
    });
    expect(await reply(rollback)).toMatch(/^api → prod is locked by alice-admin/);

    const status = await app.discord.command('status', app.actors.viewer, {
      options: { service: 'api' },
    });
    const text = await reply(status);
    expect(text).toContain(`Deployed: \`${shas[0].slice(0, 7)}\``);
    expect(text).toMatch(/🔒 Locked by alice-admin since <t:\d+:f>: incident 42/);
    expect(text).toContain('staging: Nothing deployed yet.');

    const unlock = await app.discord.command('unlock', app.actors.admin, {
      options: { service: 'api', env: 'prod' },
    });
    expect(await reply(unlock)).toContain('🔓 api → prod is unlocked');
    const again = await app.discord.command('unlock', app.actors.admin, {
      options: { service: 'api', env: 'prod' },
    });
    expect(await reply(again)).toBe('api → prod is not locked.');
    const entries = await appConnection(app.app)
      .collection('audit')
      .countDocuments({ command: { $in: ['lock', 'unlock'] } });
    expect(entries).toBe(4);
  });

  it('/cancel cancels the run on GitHub and follows its real final status', async () => {
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    const runId = (await storedDeployment(app, id)).runId as number;

    const byViewer = await app.discord.command('cancel', app.actors.viewer, { options: { id } });
    expect(await reply(byViewer)).toBe(
      'Only the requester or an admin for staging can cancel this deployment.',
    );
    const unknown = await app.discord.command('cancel', app.actors.admin, {
      options: { id: 'd-000000' },
    });
    expect(await reply(unknown)).toBe('Unknown deployment "d-000000".');

    const cancel = await app.discord.command('cancel', app.actors.deployer, { options: { id } });
    expect(await reply(cancel)).toBe(
      `Cancellation requested: GitHub is stopping run #${runId}. The deployment's message follows the run to its final status.`,
    );
    expect(
      github.calls.some(
        (call) => call.method === 'POST' && call.path.endsWith(`/actions/runs/${runId}/cancel`),
      ),
    ).toBe(true);
    await waitForStatus(app, id, 'cancelled');
    await waitForMessageText(app, deploy, 'Cancelled');
    const late = await app.discord.command('cancel', app.actors.deployer, { options: { id } });
    expect(await reply(late)).toBe(`Deployment ${id} has already ended (cancelled).`);
  });

  it('/cancel withdraws a pending approval request, dispatching nothing', async () => {
    const request = await runDeploy(app, app.actors.deployer, 'api', 'prod');
    const id = await deploymentIdOf(request);
    const dispatches = github.dispatches.length;
    const cancel = await app.discord.command('cancel', app.actors.admin, { options: { id } });
    expect(await reply(cancel)).toBe(`Request ${id} cancelled; nothing was dispatched.`);
    await waitForStatus(app, id, 'rejected');
    await waitForMessageText(app, request, 'Cancelled by alice-admin');
    expect(github.dispatches.length).toBe(dispatches);
  });

  it('warns the requester once when GitHub has not started a run after 2 minutes', async () => {
    github.createRunsOnDispatch = false;
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    github.createRunsOnDispatch = true;
    const threeMinutesAgo = new Date(Date.now() - 180_000);
    await appConnection(app.app)
      .collection('deployments')
      .updateOne(
        { _id: id as never },
        { $set: { dispatchedAt: threeMinutesAgo, nextCheckAt: new Date() } },
      );
    await waitForMessageText(
      app,
      deploy,
      `GitHub has not started a run for ${id} after 2 minutes.`,
    );
    const mentions = () =>
      discord
        .messagesIn(discord.defaultChannelId)
        .filter((m) => m.content.startsWith(`<@${app.actors.deployer.user.id}>`));
    await waitFor('the mention', () => mentions().length === 1);
    expect(mentions()[0].content).toBe(
      `<@${app.actors.deployer.user.id}> GitHub has not started a run for ${id} after 2 minutes.`,
    );
    // More polls, no second notice.
    const polls = github.calls.length;
    await waitFor('a few more polls', () => github.calls.length > polls + 3);
    expect(mentions()).toHaveLength(1);
  });
});
