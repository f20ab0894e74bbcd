import type { VerificationPlan } from '../src/deployments/deployment';
import {
  answerOf,
  deploy,
  deploymentIdOf,
  finishRun,
  metricsOf,
  newService,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import { HealthEndpoint } from './support/health-endpoint';
import { appConnection } from './support/mongo';
import {
  rolesOf,
  startAppWithFakes,
  startTestApp,
  TestApp,
  testEnvironment,
} from './support/test-app';
import { waitFor } from './support/wait-for';

const ENV = {
  DEPLOY_COOLDOWN_MS: '0',
  POLL_INTERVAL_MS: '600000',
  // The health endpoint runs on this machine: only its address is let through.
  VERIFY_ALLOWED_HOSTS: '127.0.0.1',
  VERIFY_PROBE_TIMEOUT_MS: '1000',
};
const MINUTE = 60_000;

/**
 * Verification after the run, on the running app: a local health endpoint, the app's clock moved
 * through the soak, automatic rollbacks, holds, promotion and /rollback preferring verified.
 */
describe('verification after the run', () => {
  let app: TestApp;
  let health: HealthEndpoint;

  beforeAll(async () => {
    health = await HealthEndpoint.start();
    app = await startAppWithFakes({ env: ENV });
  });
  afterAll(async () => {
    await app?.closeAll();
    await health?.close();
  });

  const plan = (path: string, overrides: Partial<VerificationPlan> = {}): VerificationPlan => ({
    url: health.url(path),
    expectStatus: 200,
    soakMs: 10 * MINUTE,
    intervalMs: MINUTE,
    failuresToFail: 2,
    autoRollback: true,
    onRunFailure: false,
    ...overrides,
  });

  type Stored = Awaited<ReturnType<typeof storedDeployment>> & {
    verification?: {
      state: string;
      probes: number;
      startedAt: Date;
      reason?: string;
      rollback?: { state: string; deploymentId?: string; toSha?: string; reason: string };
    };
  };
  const verificationOf = async (id: string) =>
    ((await storedDeployment(app, id)) as Stored).verification;
  const untilVerification = (
    id: string,
    what: string,
    ok: (v: Stored['verification']) => boolean,
  ) =>
    waitFor(`${id}'s verification: ${what}`, async () => {
      const verification = await verificationOf(id);
      if (verification && ok(verification)) return verification;
      throw new Error(JSON.stringify(verification));
    });

  /** A commit deployed to staging and its run succeeded: soaking from here. */
  async function shipped(service: { name: string; repo: string }, subject: string) {
    const sha = app.github.addCommit('acme', service.repo, 'main', subject);
    const deployed = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, deployed.id);
    await untilVerification(deployed.id, 'probed once', (v) => v!.probes >= 1);
    return { ...deployed, sha };
  }

  /** Moves the app's clock through the soak; the next probe verifies. */
  async function soaked(id: string) {
    app.clock.advance(10 * MINUTE);
    return untilVerification(id, 'verified', (v) => v!.state === 'verified');
  }

  it('verifies a healthy deployment after its soak, shown on its message and counted', async () => {
    const service = await newService(app, { targets: { staging: { verification: plan('/a') } } });
    const v1 = await shipped(service, 'v1');
    const soaking = await waitFor('the message to show the soak', () =>
      app.discord
        .message(v1.messageId)
        .history.map((version) => messageText(version as never))
        .find((text) => text.includes('🔎 Verifying')),
    );
    expect(soaking).toContain('🔎 Verifying: 0s of a 10m soak');
    const before = health.probesOf('/a');
    const verified = await soaked(v1.id);
    expect(verified!.reason).toMatch(/^healthy through a 10m soak \(\d+ probes?\)$/);
    expect(health.probesOf('/a')).toBeGreaterThan(before);
    await waitFor('the message to say verified', () =>
      messageText(app.discord.message(v1.messageId)).includes(
        '✅ Verified: healthy through a 10m soak',
      )
        ? true
        : undefined,
    );
    expect(await metricsOf(app)).toMatch(
      /chatops_verifications_total\{environment="staging",outcome="verified"\} [1-9]/,
    );
  });

  it('rolls back once to the last verified SHA when the endpoint starts failing, and holds the target', async () => {
    const service = await newService(app, { targets: { staging: { verification: plan('/b') } } });
    const v1 = await shipped(service, 'v1');
    await soaked(v1.id);
    const v2 = await shipped(service, 'v2: breaks health');
    const dispatches = app.github.dispatches.length;

    health.answer('/b', 503);
    app.clock.advance(MINUTE);
    await untilVerification(v2.id, 'one failed probe', (v) => v!.probes >= 2);
    app.clock.advance(MINUTE);
    const failed = await untilVerification(
      v2.id,
      'rolled back',
      (v) => v!.rollback?.state === 'started',
    );
    expect(failed!.state).toBe('failed');
    expect(failed!.reason).toMatch(/^2 failed probes in a row \(last: answered 503, expected 200/);
    const rollbackId = failed!.rollback!.deploymentId!;
    const rollback = await storedDeployment(app, rollbackId);
    expect(rollback).toMatchObject({
      sha: v1.sha,
      rollback: { of: v2.id, to: v1.id, automatic: true },
      requester: { name: 'the deploy bot (automatic)' },
    });
    await waitForStatus(app, rollbackId, 'dispatched');
    expect(app.github.dispatches.length).toBe(dispatches + 1);
    expect(app.github.dispatches.at(-1)!.inputs).toMatchObject({ sha: v1.sha });

    // Held: the reason says why; only an admin's /unlock lifts it.
    const lock = await appConnection(app.app)
      .collection('target_locks')
      .findOne({ service: service.name, environment: 'staging' });
    expect(lock?.reason).toMatch(
      new RegExp(`^held after the automatic rollback of ${v2.id}: 2 failed probes in a row`),
    );
    const refused = await answerOf(
      await app.discord.command('deploy', app.actors.deployer, {
        options: { service: service.name, env: 'staging' },
      }),
    );
    expect(refused).toContain(`held after the automatic rollback of ${v2.id}`);

    // The channel is told once; the rollback's own message says it was automatic.
    const notice = await waitFor('the notice', () =>
      app.discord
        .messagesIn(app.discord.defaultChannelId)
        .find(
          (m) => m.content.includes(`${v2.id} (`) && m.content.includes('failed its verification'),
        ),
    );
    expect(notice.content).toContain(`Rolled back automatically to \`${v1.sha.slice(0, 7)}\``);
    await waitFor('the rollback message', () =>
      app.discord
        .messagesIn(app.discord.defaultChannelId)
        .find((m) => messageText(m).includes(rollbackId) && messageText(m).includes('Automatic')),
    );
    expect(messageText(app.discord.message(v2.messageId))).toContain('❌ Verification failed');

    // Tracked like any rollback, and never rolled back twice.
    await finishRun(app, rollbackId);
    await waitFor('v2 to be superseded', async () =>
      (await storedDeployment(app, v2.id)).supersededBy === rollbackId ? true : undefined,
    );
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ 'rollback.of': v2.id }),
    ).toBe(1);
    expect(await metricsOf(app)).toMatch(
      /chatops_automatic_rollbacks_total\{environment="staging",outcome="started"\} [1-9]/,
    );
    // Audited as the bot's own act.
    const audited = await appConnection(app.app)
      .collection('audit')
      .find({ command: 'automatic rollback', 'options.failed': v2.id })
      .toArray();
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor: { id: 'bot:automatic' },
      options: { rollback: rollbackId, outcome: 'started' },
    });
  });

  it('holds the target and mentions the admins when nothing verified is there to go back to', async () => {
    // 127.0.0.2 (loopback) is not in VERIFY_ALLOWED_HOSTS: the probe is refused, and fails.
    const service = await newService(app, {
      targets: {
        staging: {
          verification: plan('/c', {
            url: health.url('/c').replace('127.0.0.1', '127.0.0.2'),
            failuresToFail: 1,
          }),
        },
      },
    });
    const sha = app.github.addCommit('acme', service.repo, 'main', 'v1');
    const v1 = await deploy(app, app.actors.deployer, service.name, 'staging');
    await finishRun(app, v1.id);
    const held = await untilVerification(v1.id, 'held', (v) => v!.rollback?.state === 'held');
    expect(held!.reason).toContain(
      'the address is private, loopback or reserved, and not in VERIFY_ALLOWED_HOSTS',
    );
    expect(held!.rollback!.reason).toContain('no verified deployment to roll back to');
    expect(health.probesOf('/c')).toBe(0);
    const admins = rolesOf(app.discord).admin;
    const post = await waitFor('the notice mentioning the admins', () =>
      app.discord
        .callsTo('POST', /^\/channels\/\d+\/messages$/)
        .find((call) => JSON.stringify(call.body).includes(`${v1.id} (\``)),
    );
    const body = post.body as { content: string; allowed_mentions: { roles: string[] } };
    expect(body.content).toContain(`<@&${admins}>`);
    expect(body.allowed_mentions.roles).toEqual([admins]);
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ 'rollback.of': v1.id }),
    ).toBe(0);
    expect(sha).toHaveLength(40);
  });

  it('refuses promotion until the commit is verified there, and for min-soak after', async () => {
    const service = await newService(app, {
      targets: {
        staging: { verification: plan('/d', { autoRollback: false }) },
        prod: { promoteFrom: 'staging', promoteMinSoakMs: 60 * MINUTE },
      },
    });
    const v1 = await shipped(service, 'v1');
    const toProd = () =>
      app.discord.command('deploy', app.actors.deployer, {
        options: { service: service.name, env: 'prod' },
      });
    expect(await answerOf(await toProd())).toContain(
      `\`${v1.sha.slice(0, 7)}\` has not passed its verification on staging yet`,
    );
    await soaked(v1.id);
    expect(await answerOf(await toProd())).toMatch(
      new RegExp(
        `\`${v1.sha.slice(0, 7)}\` has not run long enough on staging: prod takes it 50m from now`,
      ),
    );
    app.clock.advance(50 * MINUTE);
    const request = await deploymentIdOf(await toProd());
    expect((await storedDeployment(app, request)).status).toBe('pending_approval');
  });

  it('continues a soak after a restart, where it was', async () => {
    const service = await newService(app, { targets: { staging: { verification: plan('/e') } } });
    const v1 = await shipped(service, 'v1');
    const before = (await verificationOf(v1.id))!;
    await app.close();
    app = await startTestApp(
      app.discord,
      app.github,
      testEnvironment(app.discord, app.github, { ...ENV, MONGODB_URI: app.config.mongo.uri }),
      [],
      // The same time as before the restart (earlier tests moved it on).
      app.clock,
    );
    // The soak's end is stored: the new process's clock moved past it verifies it.
    app.clock.advance(10 * MINUTE);
    const verified = await untilVerification(v1.id, 'verified', (v) => v!.state === 'verified');
    expect(verified!.startedAt).toEqual(before.startedAt);
    expect(verified!.probes).toBeGreaterThan(before.probes);
  });

  it('rolls back to the newest verified deployment, and says when it falls back', async () => {
    const service = await newService(app, {
      targets: { staging: { verification: plan('/f', { autoRollback: false }) } },
    });
    const rollback = (options: Record<string, string> = {}) =>
      app.discord.command('rollback', app.actors.deployer, {
        options: { service: service.name, env: 'staging', ...options },
      });
    const v1 = await shipped(service, 'v1');
    // v2 is dispatched while v1 soaks: v1's verification stops, unverified. Nothing is verified.
    const v2 = await shipped(service, 'v2');
    expect((await verificationOf(v1.id))!.state).toBe('stopped');
    expect((await verificationOf(v2.id))!.state).toBe('verifying');
    const fallback = await rollback();
    const fallbackId = await deploymentIdOf(fallback);
    expect(messageText(fallback.reply()!)).toContain(
      `No verified deployment to go back to: ${v1.id} only succeeded`,
    );
    await finishRun(app, fallbackId, 'failure');
    const v3 = await shipped(service, 'v3');
    await soaked(v3.id);
    const v4 = await shipped(service, 'v4');
    const v5 = await shipped(service, 'v5');
    expect((await verificationOf(v4.id))!.state).toBe('stopped');
    const preferred = await rollback();
    const id = await deploymentIdOf(preferred);
    expect((await storedDeployment(app, id)).rollback).toMatchObject({ of: v5.id, to: v3.id });
    expect(messageText(preferred.reply()!)).not.toContain('No verified deployment');
  });

  it('sets a target’s verification by /service verify, and refuses bad input', async () => {
    const service = await newService(app);
    const verify = (options: Record<string, unknown>, actor = app.actors.admin) =>
      app.discord.command('service', actor, {
        subcommand: 'verify',
        options: { name: service.name, env: 'staging', ...options },
      });
    expect(await answerOf(await verify({ url: 'https://user:pw@api.example.com/' }))).toMatch(
      /^Invalid url/,
    );
    expect(
      await answerOf(await verify({ url: 'https://api.example.com/', soak: 'forever' })),
    ).toMatch(/^Invalid soak/);
    expect(
      await answerOf(await verify({ url: 'https://api.example.com/' }, app.actors.deployer)),
    ).toMatch(/admin/i);
    const set = await verify({
      url: 'https://api.example.com/health?token=s3cret',
      soak: '15m',
      'auto-rollback': 'on',
    });
    await set.waitForReply();
    const text = set.replyText();
    expect(text).toContain('Probe https://api.example.com/health?…: expects 200');
    expect(text).toContain('Soak 15m, a probe every 30s');
    expect(text).not.toContain('s3cret');
    // Nor does the audit log keep it.
    const audited = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ command: 'service verify', 'options.soak': '15m' }),
    );
    expect(audited.options.url).toBe('https://api.example.com/health?…');
    const stored = await appConnection(app.app)
      .collection('services')
      .findOne({ name: service.name });
    expect(stored!.targets.staging.verification).toMatchObject({
      soakMs: 15 * MINUTE,
      autoRollback: true,
    });
  });
});
