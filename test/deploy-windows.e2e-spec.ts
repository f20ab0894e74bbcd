import { utcTime } from '../libs/text';
import {
  answerOf,
  deploy,
  deploymentIdOf,
  ephemeralAnswer,
  finishRun,
  metricsOf,
  newService,
  refusalOf,
  runDeploy,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { buttonsOf } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const HOUR = 3_600_000;

describe('freezes and deploy windows', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000', MAX_CONCURRENT_DEPLOYS: '20' },
    });
  });
  afterAll(() => app?.closeAll());

  const command = async (
    name: string,
    actor: keyof TestApp['actors'],
    options: Record<string, string | boolean>,
  ) => answerOf(await app.discord.command(name, app.actors[actor], { options }));
  const windowCommand = async (
    subcommand: 'add' | 'list' | 'remove',
    actor: keyof TestApp['actors'],
    options: Record<string, string>,
  ) =>
    answerOf(
      await app.discord.command('service', app.actors[actor], {
        group: 'window',
        subcommand,
        options,
      }),
    );

  /** A cron expression (UTC) that started `minutesAgo` before the app's now, every day. */
  const dailyFrom = (minutesAgo: number) => {
    const start = new Date(app.clock.now().getTime() - minutesAgo * 60_000);
    return { cron: `${start.getUTCMinutes()} ${start.getUTCHours()} * * *`, start };
  };

  it('refuses deploys and approvals with the reason, lets a rollback through, and ends by itself at until', async () => {
    const service = await newService(app);
    // What runs on staging now, and a request for prod waiting for approval.
    const first = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, first.id);
    app.github.addCommit('acme', service.repo, 'main', 'second');
    const second = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, second.id);
    const pending = await deploy(app, app.actors.deployer, service.name, 'prod');
    await waitForStatus(app, pending.id, 'pending_approval');

    expect(
      await command('freeze', 'admin', {
        env: 'all',
        service: service.name,
        reason: 'release freeze',
        until: '2h',
      }),
    ).toMatch(
      new RegExp(
        `^🧊 ${service.name} → every environment is frozen by alice-admin until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: release freeze\\. It lifts itself <t:\\d+:R>\\.`,
      ),
    );
    const refused = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    const refusal = await refusalOf(refused);
    expect(refusal).toMatch(
      new RegExp(
        `^${service.name} → staging is frozen: .*release freeze\\. Rollbacks are still allowed\\.$`,
      ),
    );
    // The refusal offers to queue the request, and (for an admin) to deploy anyway.
    expect(buttonsOf(refused.followUps()[0]).map((button) => button.label)).toEqual([
      'Queue it',
      'Deploy anyway (admin)',
    ]);

    const approve = await app.discord.clickButton('Approve', app.actors.admin, pending.messageId);
    expect(await ephemeralAnswer(approve)).toContain('is frozen');
    expect((await storedDeployment(app, pending.id)).status).toBe('pending_approval');

    const dispatchesBefore = app.github.dispatches.length;
    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: service.name, env: 'staging' },
    });
    const rollbackId = await deploymentIdOf(rollback);
    await waitForStatus(app, rollbackId, 'dispatched');
    expect(app.github.dispatches.length).toBe(dispatchesBefore + 1);
    const said = await waitFor('the rollback to say it went through the freeze', () =>
      rollback.followUps().find((message) => message.content.startsWith('↩️ Allowed although')),
    );
    expect(said.content).toContain('the target is frozen');
    await finishRun(app, rollbackId);

    // /status shows the freeze to everyone.
    const status = await app.discord.command('status', app.actors.viewer, {
      options: { service: service.name },
    });
    await status.waitForReply();
    expect(status.replyText()).toContain(`🧊 ${service.name} → every environment is frozen`);

    // Two hours later it has lifted itself: the same deploy goes.
    app.clock.advance(2 * HOUR + 60_000);
    const after = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, after.id, 'dispatched');
  });

  it('lifts early with /unfreeze, for admins only, and refuses what makes no sense', async () => {
    const service = await newService(app);
    const staging = { env: 'staging', service: service.name };
    expect(await command('freeze', 'deployer', { ...staging, reason: 'no' })).toBe(
      `Only admins can freeze ${service.name} in staging.`,
    );
    expect(
      await command('freeze', 'admin', { ...staging, reason: 'x', until: '2020-01-01 10:00' }),
    ).toBe('Invalid until: 2020-01-01 10:00 UTC is in the past.');
    expect(await command('freeze', 'admin', { env: 'nowhere', reason: 'x' })).toBe(
      'No service deploys to nowhere: nothing to freeze. /service list shows the environments.',
    );
    expect(await command('freeze', 'admin', { ...staging, reason: 'incident 7' })).toMatch(/^🧊/);
    expect(await command('freeze', 'admin', { ...staging, reason: 'again' })).toMatch(
      /incident 7\. Lift it with \/unfreeze first to change it\.$/,
    );
    expect(
      await refusalOf(await runDeploy(app, app.actors.deployer, service.name, 'staging')),
    ).toContain('incident 7');
    expect(await command('unfreeze', 'admin', staging)).toMatch(/^Freeze lifted \(it read: /);
    expect(await command('unfreeze', 'admin', staging)).toBe(
      `${service.name} → staging is not frozen.`,
    );
    const now = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, now.id, 'dispatched');
  });

  it('refuses inside a deny window; "Deploy anyway" needs a reason and a second admin, and is on the record', async () => {
    const service = await newService(app);
    const { cron } = dailyFrom(30);
    const added = await windowCommand('add', 'admin', {
      service: service.name,
      env: 'staging',
      kind: 'deny',
      cron,
      duration: '2h',
      timezone: 'UTC',
    });
    expect(added).toMatch(/^Window added to .* deny `.*` for 2h \(UTC\)\.\nNext:\n• /);

    const refused = await runDeploy(app, app.actors.admin, service.name, 'staging');
    const refusal = await refusalOf(refused);
    expect(refusal).toMatch(
      /is outside its deploy window: deny window w-[0-9a-f]{6} \(`.*` for 2h, UTC\) until .*; it opens /,
    );
    const dispatchesBefore = app.github.dispatches.length;

    const opened = await app.discord.clickButton(
      'Deploy anyway (admin)',
      app.actors.admin,
      refused.followUps()[0].id,
    );
    await opened.firstCallback();
    expect(opened.callbacks[0].type).toBe(9);
    const submitted = await app.discord.submitModal(opened, app.actors.admin, {
      reason: 'hotfix for incident 99',
    });
    const id = await deploymentIdOf(submitted);
    // Not protected, yet it waits for a second admin.
    await waitForStatus(app, id, 'pending_approval');
    const text = await waitForMessageText(app, submitted, 'Deploy window overridden');
    expect(text).toContain(
      "⚠️ by alice-admin: “hotfix for incident 99” · needs a second admin's approval",
    );
    const messageId = submitted.reply()!.id;
    const alone = await app.discord.clickButton('Approve', app.actors.admin, messageId);
    expect(await ephemeralAnswer(alone)).toMatch(
      /another admin has to approve it|cannot approve your own/i,
    );
    // A freeze made after the override is not one it went through: it stops the approval.
    app.clock.advance(1_000);
    const staging = { env: 'staging', service: service.name };
    expect(await command('freeze', 'secondAdmin', { ...staging, reason: 'incident 100' })).toMatch(
      /^🧊/,
    );
    const frozen = await app.discord.clickButton('Approve', app.actors.secondAdmin, messageId);
    expect(await ephemeralAnswer(frozen)).toContain('incident 100');
    expect((await storedDeployment(app, id)).status).toBe('pending_approval');
    expect(await command('unfreeze', 'secondAdmin', staging)).toMatch(/^Freeze lifted/);
    await (
      await app.discord.clickButton('Approve', app.actors.secondAdmin, messageId)
    ).firstCallback();
    await waitForStatus(app, id, 'dispatched');
    expect(app.github.dispatches.length).toBe(dispatchesBefore + 1);
    expect(await storedDeployment(app, id)).toMatchObject({
      scheduleOverride: {
        by: { name: 'alice-admin' },
        reason: 'hotfix for incident 99',
        rule: 'window',
      },
    });
    const audit = await waitFor('the audited override', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ command: 'modal queue/reason', 'actor.id': app.actors.admin.user.id }),
    );
    expect(audit).toMatchObject({ outcome: 'ok', options: { reason: 'hotfix for incident 99' } });
    expect(await metricsOf(app)).toMatch(
      /chatops_schedule_overrides_total\{environment="staging",rule="window"\} [1-9]/,
    );
    await finishRun(app, id);
    const history = await app.discord.command('history', app.actors.viewer, {
      options: { service: service.name, env: 'staging' },
    });
    await history.waitForReply();
    expect(history.replyText()).toContain(
      '⚠️ deploy window overridden by alice-admin: “hotfix for incident 99”',
    );
    // The offer was used: a second form from it is refused.
    const again = await app.discord.clickButton(
      'Deploy anyway (admin)',
      app.actors.admin,
      refused.followUps()[0].id,
    );
    expect(await ephemeralAnswer(again)).toContain('This offer is no longer open');
  });

  it('refuses outside every allow window, naming the next opening', async () => {
    const service = await newService(app);
    // Opens every day two hours from now, for an hour.
    const { cron, start } = dailyFrom(-120);
    await windowCommand('add', 'admin', {
      service: service.name,
      env: 'staging',
      kind: 'allow',
      cron,
      duration: '1h',
      timezone: 'UTC',
    });
    const opensAt = new Date(Math.floor(start.getTime() / 60_000) * 60_000);
    expect(
      await refusalOf(await runDeploy(app, app.actors.deployer, service.name, 'staging')),
    ).toContain(`no allow window covers now; it opens ${utcTime(opensAt)}`);
    expect(
      await windowCommand('list', 'viewer', { service: service.name, env: 'staging' }),
    ).toContain('Closed now: no allow window covers now');
    app.clock.advance(2 * HOUR + 60_000);
    const inside = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, inside.id, 'dispatched');
  });

  it('refuses windows that never fire, fire every minute, never end, or name no real time zone', async () => {
    const service = await newService(app);
    const base = {
      service: service.name,
      env: 'staging',
      duration: '1h',
      timezone: 'Europe/Berlin',
    };
    expect(
      await windowCommand('add', 'admin', { ...base, kind: 'deny', cron: '0 0 30 2 *' }),
    ).toMatch(/never fires|Invalid cron expression/);
    expect(
      await windowCommand('add', 'admin', { ...base, kind: 'deny', cron: '* * * * *' }),
    ).toContain('more often than once an hour');
    expect(
      await windowCommand('add', 'admin', {
        ...base,
        kind: 'deny',
        cron: '0 0 * * *',
        duration: '24h',
      }),
    ).toContain('would keep the target closed for good');
    expect(
      await windowCommand('add', 'admin', { ...base, kind: 'deny', cron: 'H 16 * * 5' }),
    ).toContain('`H`');
    expect(
      await windowCommand('add', 'admin', {
        ...base,
        kind: 'deny',
        cron: '0 16 * * 5',
        timezone: 'Mars/Olympus',
      }),
    ).toContain('is not an IANA time zone');
    expect(
      await windowCommand('add', 'deployer', { ...base, kind: 'deny', cron: '0 16 * * 5' }),
    ).toBe('Only admins can change deploy windows in staging.');
    const stored = await appConnection(app.app)
      .collection('deploy_windows')
      .countDocuments({ service: service.name });
    expect(stored).toBe(0);
  });
});
