import {
  answerOf,
  deploy,
  finishRun,
  newService,
  runDeploy,
  waitForStatus,
} from './support/deploys';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('/lock and /unlock', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  const command = async (
    name: string,
    actor: keyof TestApp['actors'],
    options: Record<string, string>,
  ) => answerOf(await app.discord.command(name, app.actors[actor], { options }));

  it('stops deploys and rollbacks to the target, saying who and why, until unlocked', async () => {
    const service = await newService(app);
    const prod = { service: service.name, env: 'prod' };
    expect(await command('lock', 'admin', { ...prod, reason: 'incident 42' })).toBe(
      `🔒 ${service.name} → prod is locked by alice-admin: incident 42`,
    );
    const refusal = new RegExp(
      `^${service.name} → prod is locked by alice-admin since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: incident 42$`,
    );
    expect(await answerOf(await runDeploy(app, app.actors.deployer, service.name, 'prod'))).toMatch(
      refusal,
    );
    expect(await command('rollback', 'deployer', prod)).toMatch(refusal);
    expect(await command('lock', 'admin', { ...prod, reason: 'another' })).toMatch(
      /Unlock it first to change the reason\.$/,
    );
    // Another environment of the service is not affected.
    const staging = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, staging.id);

    expect(await command('unlock', 'admin', prod)).toBe(
      `🔓 ${service.name} → prod is unlocked (it was locked by alice-admin: incident 42).`,
    );
    expect(await command('unlock', 'admin', prod)).toBe(`${service.name} → prod is not locked.`);
    const request = await deploy(app, app.actors.deployer, service.name, 'prod');
    await waitForStatus(app, request.id, 'pending_approval');
  });

  it('is for admins of the environment only, and every attempt is audited', async () => {
    const service = await newService(app);
    const staging = { service: service.name, env: 'staging' };
    expect(await command('lock', 'deployer', { ...staging, reason: 'release freeze' })).toBe(
      'Only admins can lock targets in staging.',
    );
    expect(await command('unlock', 'deployer', staging)).toBe(
      'Only admins can unlock targets in staging.',
    );
    const entries = await waitFor('the audit entries', async () => {
      const found = await appConnection(app.app)
        .collection('audit')
        .find({ command: { $in: ['lock', 'unlock'] }, 'options.service': service.name })
        .sort({ at: 1 })
        .toArray();
      return found.length === 2 ? found : undefined;
    });
    expect(entries.map((entry) => [entry.command, entry.outcome, entry.code])).toEqual([
      ['lock', 'refused', 'ACCESS.DENIED'],
      ['unlock', 'refused', 'ACCESS.DENIED'],
    ]);
  });
});
