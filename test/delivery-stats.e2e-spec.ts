import { DeliveryGauges } from '../src/delivery-insight/delivery-gauges';
import { answerOf, deploy, finishRun, newService, storedDeployment } from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const HOUR_MS = 3_600_000;

describe('/stats: the delivery metrics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  /** A commit dated `hoursAgo` deployed to prod, approved and finished. */
  async function shipped(
    service: { name: string; repo: string },
    subject: string,
    hoursAgo: number,
  ): Promise<{ id: string; messageId: string }> {
    app.github.addCommit('acme', service.repo, 'main', subject, 'octocat', {
      date: new Date(Date.now() - hoursAgo * HOUR_MS),
    });
    const { id, messageId } = await deploy(app, app.actors.deployer, service.name, 'prod');
    await app.discord.clickButton('Approve', app.actors.admin, messageId);
    await finishRun(app, id);
    return { id, messageId };
  }

  const commitsRead = (ids: string[]) =>
    waitFor('the commits of each deployment to be read', async () => {
      const done = await appConnection(app.app)
        .collection('deployment_commits')
        .countDocuments({ _id: { $in: ids as never[] }, state: 'done' });
      return done === ids.length;
    });

  it('shows the five figures with a chart after deploys, a fault report and a rollback', async () => {
    const service = await newService(app);
    const v1 = await shipped(service, 'v1', 5);
    const v2 = await shipped(service, 'v2', 3);
    const v3 = await shipped(service, 'v3: broken', 2);
    await commitsRead([v1.id, v2.id, v3.id]);

    // A deployer reports v3 faulty from its message; a second report is refused.
    await waitFor('the Report faulty button', () =>
      JSON.stringify(app.discord.message(v3.messageId).components).includes('Report faulty'),
    );
    const report = await app.discord.clickButton(
      'Report faulty',
      app.actors.deployer,
      v3.messageId,
    );
    expect(await answerOf(report)).toContain(
      `${v3.id} (${service.name} → prod) is reported faulty`,
    );
    expect((await storedDeployment(app, v3.id)).fault).toMatchObject({
      by: { id: app.actors.deployer.user.id },
    });
    await waitFor('the message to show the report', () =>
      messageText(app.discord.message(v3.messageId)).includes('Reported faulty'),
    );

    // Then it is rolled back to v2.
    const rollback = await app.discord.command('rollback', app.actors.deployer, {
      options: { service: service.name },
    });
    const rollbackMessage = await rollback.waitForReply();
    const rollbackId = /d-[0-9a-f]{6}/.exec(messageText(rollbackMessage))![0];
    await app.discord.clickButton('Approve', app.actors.admin, rollbackMessage.id);
    await finishRun(app, rollbackId);

    const stats = await app.discord.command('stats', app.actors.deployer, {
      options: { service: service.name, period: '7d' },
    });
    const text = await answerOf(stats);
    // 4 successful deployments (3 changes and the rollback) in 7 days.
    expect(text).toContain('Deployment frequency: 4 successful (4.0 a week)');
    // The first deployment brings its one commit (5 h), each later one its own (3 h, 2 h).
    expect(text).toMatch(/Change lead time: Median 3h\d*m?.*over 3 commits/);
    // v3 failed (reported faulty and rolled back): 1 of 3 changes.
    expect(text).toContain('Change fail rate: 33.3% (1 of 3 changes)');
    expect(text).toContain('Failed deployment recovery time: Median');
    expect(text).toContain('over 1 recoveries');
    expect(text).toContain('Deployment rework rate: 25.0% (1 rollbacks, 0 hotfixes of 4)');
    const reply = stats.reply()!;
    expect(reply.embeds[0].image).toEqual({ url: 'attachment://delivery.png' });
    const [png] = reply.files ?? [];
    expect(png.name).toBe('delivery.png');
    expect(png.data.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.data.length).toBeLessThan(1_000_000);

    const csv = await app.discord.command('stats', app.actors.deployer, {
      options: { service: service.name, format: 'csv' },
    });
    await answerOf(csv);
    const [file] = csv.reply()!.files ?? [];
    const lines = file.data.toString('utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^id,environment,ref,sha,status,requested_by,created_at,finished_at/);
    expect(lines).toHaveLength(5);
    expect(lines.find((line) => line.startsWith(v3.id))).toContain('rolled back');

    // The same figures over 30 days as Prometheus gauges (refreshed every 5 minutes; now here).
    await app.app.get(DeliveryGauges).refresh();
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    const gauge = (name: string, extra = '') =>
      new RegExp(
        `^${name}\\{service="${service.name}",environment="prod"${extra}\\} (\\S+)$`,
        'm',
      ).exec(metrics)?.[1];
    expect(Number(gauge('chatops_delivery_deployments_per_day'))).toBeCloseTo(4 / 30, 6);
    expect(Number(gauge('chatops_delivery_change_fail_ratio'))).toBeCloseTo(1 / 3, 6);
    expect(Number(gauge('chatops_delivery_rework_ratio'))).toBeCloseTo(0.25, 6);
    // The median lead time is v2's commit: 3 hours before its deployment succeeded, and a bit.
    const leadTime = Number(gauge('chatops_delivery_lead_time_seconds', ',quantile="0.5"'));
    expect(leadTime).toBeGreaterThanOrEqual(3 * 3_600);
    expect(leadTime).toBeLessThan(4 * 3_600);
    expect(Number(gauge('chatops_delivery_recovery_time_seconds'))).toBeGreaterThan(0);
  });

  it('answers a service without deployments, and refuses a bad period without reading anything', async () => {
    const service = await newService(app);
    expect(
      await answerOf(
        await app.discord.command('stats', app.actors.deployer, {
          options: { service: service.name },
        }),
      ),
    ).toContain('No deployment to prod finished in the last 30 days.');
    for (const period of ['0d', '10y', '400d', 'soon'])
      expect(
        await answerOf(
          await app.discord.command('stats', app.actors.deployer, {
            options: { service: service.name, period },
          }),
        ),
      ).toBe('Invalid period: a number of days or weeks from 1d to 365d (7d, 4w, 90d).');
  });

  it('sets the weekly digest for admins only, shows it, refuses bad input and turns it off', async () => {
    const service = await newService(app);
    const channel = { id: snowflake(), name: 'delivery' };
    app.discord.addChannel(channel);
    const services = () => appConnection(app.app).collection('services');
    const digest = async () => (await services().findOne({ name: service.name }))?.digest;
    const answer = async (options: Record<string, unknown>, actor = app.actors.admin) => {
      const handle = await app.discord.command('service', actor, {
        subcommand: 'digest',
        options: { name: service.name, ...options },
      });
      const text = await answerOf(handle);
      expect(handle.ephemeral).toBe(true);
      return text;
    };

    expect(await answer({ channel: channel.id }, app.actors.deployer)).toMatch(/admin/i);
    expect(await digest()).toBeUndefined();
    for (const [options, message] of [
      [{}, 'Name the channel the digest goes to (channel:…).'],
      [
        { channel: snowflake() },
        'Invalid channel: a text or announcement channel of this server the bot can see.',
      ],
      [
        { channel: channel.id, time: '25:00' },
        'Invalid time: HH:MM on a 24-hour clock, like 09:30.',
      ],
      [
        { channel: channel.id, timezone: 'Moon/Base' },
        'Unknown time zone "Moon/Base": an IANA name like Europe/Berlin or UTC.',
      ],
    ] as const)
      expect(await answer(options)).toBe(message);
    expect(await digest()).toBeUndefined();

    const set = await answer({
      channel: channel.id,
      day: 'friday',
      time: '16:30',
      timezone: 'Europe/Berlin',
    });
    expect(set).toContain(
      `The weekly digest of ${service.name} goes to <#${channel.id}> every Friday 16:30 (Europe/Berlin)`,
    );
    expect(await digest()).toMatchObject({
      channelId: channel.id,
      weekday: 5,
      time: '16:30',
      timeZone: 'Europe/Berlin',
    });
    const shown = await app.discord.command('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: service.name },
    });
    await shown.waitForReply();
    expect(shown.replyText()).toContain(`Friday 16:30 (Europe/Berlin) in <#${channel.id}>`);

    expect(await answer({})).toBe(
      'Nothing to change: give channel, day, time or timezone, or off:true.',
    );
    expect(await answer({ off: true, time: '10:00' })).toBe(
      'Give off:true alone, or the settings to change.',
    );
    expect(await answer({ off: true })).toBe(`${service.name} has no weekly digest any more.`);
    expect(await digest()).toBeUndefined();
  });
});
