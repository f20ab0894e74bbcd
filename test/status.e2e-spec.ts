import {
  answerOf,
  deploy,
  deploymentIdOf,
  finishRun,
  newService,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, TestApp } from './support/test-app';

describe('/status and /history', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  const command = async (name: string, options: Record<string, string | number>) => {
    const handle = await app.discord.command(name, app.actors.viewer, { options });
    return { text: await answerOf(handle), ephemeral: handle.ephemeral };
  };

  it('/status shows what runs where, what moves, what waits, and locks', async () => {
    const service = await newService(app, { environments: ['staging', 'qa', 'prod'] });
    const running = await deploy(app, app.actors.deployer, service.name, 'qa');
    const done = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, done.id);
    const waiting = await deploy(app, app.actors.deployer, service.name, 'prod');
    const lock = await app.discord.command('lock', app.actors.admin, {
      options: { service: service.name, env: 'prod', reason: 'incident 42' },
    });
    await answerOf(lock);

    const { text } = await command('status', { service: service.name });
    expect(text).toContain(`Deployed: \`${service.headSha.slice(0, 7)}\``);
    expect(text).toContain(running.id);
    expect(text).toContain(waiting.id);
    expect(text).toMatch(/🔒 Locked by alice-admin since <t:\d+:f>: incident 42/);
    expect(text).toContain('prod (protected): Nothing deployed yet.');
    expect(text).toContain('qa: Nothing deployed yet.');
    await finishRun(app, running.id);
  });

  it('/history shows the truth, newest first, rollbacks marked, privately', async () => {
    const service = await newService(app);
    app.github.addCommit('acme', service.repo, 'main', 'v1');
    const v1 = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, v1.messageId);
    await finishRun(app, v1.id);
    app.github.addCommit('acme', service.repo, 'main', 'v2');
    const v2 = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, v2.messageId);
    await finishRun(app, v2.id, 'failure');
    app.github.addCommit('acme', service.repo, 'main', 'v3');
    const v3 = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, v3.messageId);
    await finishRun(app, v3.id);
    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: service.name, env: 'prod' },
    });
    const r = await deploymentIdOf(rollback);
    await app.discord.clickButton('Approve', app.actors.admin, rollback.reply()!.id);
    await finishRun(app, r);
    const cancelled = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Cancel', app.actors.deployer, cancelled.messageId);
    await waitForStatus(app, cancelled.id, 'rejected');

    const { text, ephemeral } = await command('history', {
      service: service.name,
      env: 'prod',
      limit: 25,
    });
    expect(ephemeral).toBe(true);
    const lines = text.split('\n').slice(1);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain(cancelled.id);
    expect(lines[0]).toContain('🚫 Cancelled before dispatch');
    expect(lines[1]).toMatch(
      new RegExp(
        `${r}.*✅ Succeeded .* by dana-deployer, approved by alice-admin .*\\[run\\]\\(https://github\\.example.*↩️ rollback to ${v1.id}`,
      ),
    );
    expect(lines[2]).toMatch(new RegExp(`${v3.id}.*rolled back by ${r}`));
    expect(lines[3]).toMatch(new RegExp(`${v2.id}.*❌ Failed`));
    expect(lines[4]).toContain(v1.id);
  });
});
