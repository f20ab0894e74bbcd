import {
  answerOf,
  deploy,
  deploymentIdOf,
  finishRun,
  newService,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { startAppWithFakes, startTestApp, TestApp, testEnvironment } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('/rollback', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  /** A commit on main deployed to `env` (approved when it is prod) and finished. */
  async function shipped(
    service: { name: string; repo: string },
    env: string,
    subject: string,
    conclusion: 'success' | 'failure' = 'success',
  ): Promise<{ id: string; sha: string }> {
    const sha = app.github.addCommit('acme', service.repo, 'main', subject);
    const { id, messageId } = await deploy(app, app.actors.deployer, service.name, env);
    if (env === 'prod') await app.discord.clickButton('Approve', app.actors.admin, messageId);
    await finishRun(app, id, conclusion);
    return { id, sha };
  }

  const rollback = (options: Record<string, string>, actor = app.actors.deployer) =>
    app.discord.command('rollback', actor, { options });

  it('rolls back to the previous good SHA through approval, then further back', async () => {
    const service = await newService(app);
    const v1 = await shipped(service, 'prod', 'v1');
    const v2 = await shipped(service, 'prod', 'v2');
    const v3 = await shipped(service, 'prod', 'v3: broken');
    // A failed deploy is never a rollback target, nor what "runs now".
    await shipped(service, 'prod', 'v4: fails to deploy', 'failure');

    const first = await rollback({ service: service.name });
    const r1 = await deploymentIdOf(first);
    const prompt = messageText(first.reply()!);
    expect(prompt).toContain(`Rollback ${service.name} → prod: approval needed`);
    expect(prompt).toContain(
      `Rolling back: \`${v3.sha.slice(0, 7)}\` (${v3.id}) → \`${v2.sha.slice(0, 7)}\` (${v2.id})`,
    );
    expect(prompt).toContain('⚠️ **Rolls back 1 commit** now on prod.');
    expect(prompt).toMatch(/Removes: 1 commit deployed on prod now: \[Full comparison\]/);
    expect(prompt).toContain('v3: broken');
    const dispatches = app.github.dispatches.length;
    await app.discord.clickButton('Approve', app.actors.admin, first.reply()!.id);
    await waitForStatus(app, r1, 'dispatched');
    expect(app.github.dispatches.length).toBe(dispatches + 1);
    expect(app.github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { environment: 'prod', sha: v2.sha },
    });
    await finishRun(app, r1);
    await waitFor(
      'v3 to be superseded',
      async () => (await storedDeployment(app, v3.id)).supersededBy === r1,
    );

    const again = await rollback({ service: service.name, env: 'prod' });
    const r2 = await deploymentIdOf(again);
    expect(messageText(again.reply()!)).toContain(`→ \`${v1.sha.slice(0, 7)}\` (${v1.id})`);
    await app.discord.clickButton('Approve', app.actors.admin, again.reply()!.id);
    await waitForStatus(app, r2, 'dispatched');
    expect(app.github.dispatches.at(-1)!.inputs.sha).toBe(v1.sha);
    await finishRun(app, r2);
  });

  it('rolls back to an explicit SHA or id that succeeded there, and refuses anything else', async () => {
    const service = await newService(app);
    const v1 = await shipped(service, 'staging', 'v1');
    await shipped(service, 'staging', 'v2');
    expect(
      await answerOf(
        await rollback({ service: service.name, env: 'staging', to: 'deadbeefdeadbeef' }),
      ),
    ).toBe(
      'Invalid to: "deadbeefdeadbeef" is not a deployment id or SHA that succeeded in staging.',
    );
    expect(await answerOf(await rollback({ service: service.name, env: 'prod' }))).toBe(
      'Nothing has been deployed successfully to prod: nothing to roll back.',
    );
    expect(
      await answerOf(await rollback({ service: service.name, env: 'staging' }, app.actors.viewer)),
    ).toBe(`Only deployers and admins for staging can roll back ${service.name}.`);

    for (const to of [v1.sha.slice(0, 10), v1.id]) {
      const explicit = await rollback({ service: service.name, env: 'staging', to });
      const id = await deploymentIdOf(explicit);
      expect((await storedDeployment(app, id)).sha).toBe(v1.sha);
      await finishRun(app, id, 'failure');
    }
  });

  it('says when there is nothing to roll back to', async () => {
    const service = await newService(app);
    expect(await answerOf(await rollback({ service: service.name }))).toBe(
      `${service.name} has never been deployed successfully: nothing to roll back.`,
    );
    const only = await shipped(service, 'staging', 'v1');
    expect(await answerOf(await rollback({ service: service.name, env: 'staging' }))).toBe(
      `No earlier successful deployment to staging with a SHA other than \`${only.sha.slice(0, 7)}\`: nothing to roll back to.`,
    );
  });

  it('marks what a successful rollback went over again at start, after a crash in between', async () => {
    const service = await newService(app);
    await shipped(service, 'staging', 'v1');
    const v2 = await shipped(service, 'staging', 'v2');
    const r = await deploymentIdOf(await rollback({ service: service.name, env: 'staging' }));
    await finishRun(app, r);
    await waitFor(
      'v2 to be superseded',
      async () => (await storedDeployment(app, v2.id)).supersededBy === r,
    );

    // A crash between the rollback's success and the marking: nothing marked, still pending.
    const deployments = appConnection(app.app).collection('deployments');
    await deployments.updateOne({ _id: v2.id as never }, { $unset: { supersededBy: '' } });
    await deployments.updateOne({ _id: r as never }, { $set: { supersedePending: true } });
    await app.close();
    app = await startTestApp(
      app.discord,
      app.github,
      testEnvironment(app.discord, app.github, {
        MONGODB_URI: app.config.mongo.uri,
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '600000',
      }),
    );
    expect((await storedDeployment(app, v2.id)).supersededBy).toBe(r);
    expect(await storedDeployment(app, r)).not.toHaveProperty('supersedePending');
  });
});
