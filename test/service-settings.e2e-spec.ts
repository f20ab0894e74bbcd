import { generateKeyPairSync } from 'node:crypto';
import { newService } from './support/deploys';
import type { Actor } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const APP_ID = 90210;
const RULES = /\/environments\/[^/]+\/deployment_protection_rules$/;

/** What each target needs outside Discord: its channel, outside runs, and GitHub's gate. */
describe('/service channel, outside-runs and check (as a GitHub App)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let app: TestApp;
  const services = () => appConnection(app.app).collection('services');
  const stored = (name: string) => services().findOne({ name }, { projection: { _id: 0 } });

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        GITHUB_TOKEN: '',
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
      arrange: ({ github }) => github.enableApp(APP_ID, publicKey, { acme: 501 }),
    });
  });
  afterAll(() => app?.closeAll());

  /** `/service <subcommand>` by `actor` (an admin by default), once answered. */
  const answer = async (subcommand: string, options: Record<string, unknown>, actor?: Actor) => {
    const handle = await app.discord.command('service', actor ?? app.actors.admin, {
      subcommand,
      options,
    });
    await handle.waitForReply();
    return handle;
  };

  it('sets and clears the channel of a target, shown by /service show', async () => {
    const { name } = await newService(app, { prefix: 'chan' });
    const channel = { id: snowflake(), name: 'prod-deploys' };
    app.discord.addChannel(channel);

    const set = await answer('channel', { name, env: 'prod', channel: channel.id });
    expect(set.replyText()).toContain(`Channel of ${name} prod changed`);
    expect(set.ephemeral).toBe(true);
    expect((await stored(name))?.targets).toEqual({ prod: { channelId: channel.id } });
    const shown = await answer('show', { name });
    expect(shown.replyText()).toContain(
      `Channels: prod: <#${channel.id}>\nthe others: the deploy channel (DEPLOY_CHANNEL_ID)`,
    );

    const cleared = await answer('channel', { name, env: 'prod', clear: true });
    expect(cleared.replyText()).toContain('Channels: all: the deploy channel (DEPLOY_CHANNEL_ID)');
    expect((await stored(name))?.targets).toEqual({ prod: {} });
  });

  it('offers text channels only, and refuses any other channel, writing nothing', async () => {
    const definition = app.discord.registeredCommands().find((c) => c.name === 'service');
    type Option = { name: string; options?: Option[]; channel_types?: number[] };
    const sub = (definition as unknown as Option).options!.find((o) => o.name === 'channel');
    // Text and announcement channels (https://discord.com/developers/docs/resources/channel#channel-object-channel-types).
    expect(sub?.options?.find((o) => o.name === 'channel')?.channel_types).toEqual([0, 5]);

    const { name } = await newService(app, { prefix: 'chan' });
    const elsewhere = app.discord.addGuild().channels[0].id;
    for (const channel of [elsewhere, snowflake()]) {
      const refused = await answer('channel', { name, env: 'prod', channel });
      expect(refused.replyText()).toBe(
        'Invalid channel: a text or announcement channel of this server the bot can see.',
      );
      expect(refused.ephemeral).toBe(true);
    }
    const neither = await answer('channel', { name, env: 'prod' });
    expect(neither.replyText()).toBe(
      'Nothing to change: give channel, or clear:true to go back to the deploy channel.',
    );
    expect((await stored(name))?.targets).toBeUndefined();
  });

  it('lets only admins for the environment set its channel, as other target settings', async () => {
    const { name } = await newService(app, { prefix: 'chan' });
    for (const who of ['deployer', 'viewer'] as const) {
      const options = { name, env: 'prod', channel: app.discord.defaultChannelId };
      const refused = await answer('channel', options, app.actors[who]);
      expect(refused.replyText()).toBe('Only admins can change the target settings in prod.');
    }
    expect((await stored(name))?.targets).toBeUndefined();
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ 'actor.id': app.actors.viewer.user.id, command: 'service channel' }),
    );
    expect(entry).toMatchObject({ outcome: 'refused', code: 'ACCESS.DENIED' });
  });

  it('sets how runs started outside Discord are treated, keeping what is not given', async () => {
    const { name } = await newService(app, { prefix: 'outside' });
    const shownBefore = await answer('show', { name });
    expect(shownBefore.replyText()).toContain(
      'Unknown environments: reject, GitHub is told they are not registered (default)',
    );
    expect(shownBefore.replyText()).toContain(`\`/service check name:${name}\``);

    const fixed = await answer('outside-runs', {
      name,
      'unknown-environments': 'ignore',
      'environment-from': 'fixed',
      environment: 'staging',
    });
    expect(fixed.replyText()).toContain(`Outside runs of ${name} changed`);
    expect(fixed.replyText()).toContain(
      'A run started outside Discord deploys to: staging, always',
    );
    expect((await stored(name))?.outsideRuns).toEqual({
      unknownEnvironments: 'ignore',
      environmentFrom: { fixed: 'staging' },
    });

    await answer('outside-runs', { name, 'unknown-environments': 'reject' });
    expect((await stored(name))?.outsideRuns).toEqual({
      unknownEnvironments: 'reject',
      environmentFrom: { fixed: 'staging' },
    });
    await answer('outside-runs', {
      name,
      'unknown-environments': 'reject',
      'environment-from': 'deployments',
    });
    expect((await stored(name))?.outsideRuns).toEqual({
      unknownEnvironments: 'reject',
      environmentFrom: 'deployments',
    });
  });

  it('refuses a fixed environment the service lacks, and non-admins, writing nothing', async () => {
    const { name } = await newService(app, { prefix: 'outside' });
    const unknown = await answer('outside-runs', {
      name,
      'unknown-environments': 'reject',
      'environment-from': 'fixed',
      environment: 'qa',
    });
    expect(unknown.replyText()).toBe(
      `Invalid environment: "qa" is not an environment of ${name} (staging, prod).`,
    );
    const byDeployer = await answer(
      'outside-runs',
      { name, 'unknown-environments': 'ignore' },
      app.actors.deployer,
    );
    expect(byDeployer.replyText()).toBe(
      'Only admins can change how runs started outside Discord are treated.',
    );
    expect((await stored(name))?.outsideRuns).toBeUndefined();
  });

  it('checks on GitHub, per environment, whether GitHub waits for this App', async () => {
    const { name, repo } = await newService(app, {
      prefix: 'check',
      environments: ['staging', 'prod', 'qa'],
    });
    app.github.addEnvironment('acme', repo, 'prod', { customRule: true });
    app.github.addEnvironment('acme', repo, 'staging');
    const listed = () => app.github.calls.filter((call) => RULES.test(call.path));
    const before = listed().length;

    // Anyone may look; the reads are charged to the member who asked.
    const check = await answer('check', { name }, app.actors.viewer);
    expect(check.ephemeral).toBe(true);
    const lines = check.replyText().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'prod: GitHub waits for Discord (this App is a protection rule)',
        "staging: GitHub does not wait for Discord: add the App to the environment's deployment protection rules (Settings → Environments → staging)",
        'qa: GitHub does not wait for Discord: the repository has no environment qa; create it (Settings → Environments) and add the App to its deployment protection rules',
      ]),
    );
    expect(check.replyText()).toContain('on a private repository without GitHub Enterprise');
    expect(
      listed()
        .slice(before)
        .map((call) => [call.path, call.status]),
    ).toEqual([
      [`/repos/acme/${repo}/environments/staging/deployment_protection_rules`, 200],
      [`/repos/acme/${repo}/environments/prod/deployment_protection_rules`, 200],
      [`/repos/acme/${repo}/environments/qa/deployment_protection_rules`, 404],
    ]);
    const budget = await appConnection(app.app)
      .collection('member_budgets')
      .findOne({ _id: app.actors.viewer.user.id as never });
    expect((budget?.times as Date[] | undefined)?.length).toBeGreaterThanOrEqual(3);
  });

  it('answers what GitHub refused, in plain words', async () => {
    const { name, repo } = await newService(app, { prefix: 'check' });
    app.github.failNext(RULES, 403, 'Resource not accessible by integration');
    const check = await answer('check', { name });
    expect(check.replyText()).toBe(
      `The GitHub App lacks a permission for the deployment protection rules of staging in acme/${repo} (403): grant it in the App's settings (docs/setup.md lists them) and accept it on the installation.`,
    );
    expect(check.ephemeral).toBe(true);
  });
});

describe('/service check with a personal token', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startAppWithFakes();
  });
  afterAll(() => app?.closeAll());

  it('says the gate needs a GitHub App identity, asking GitHub nothing', async () => {
    const { name } = await newService(app, { prefix: 'token' });
    const check = await app.discord.command('service', app.actors.admin, {
      subcommand: 'check',
      options: { name },
    });
    await check.waitForReply();
    expect(check.replyText()).toContain('the gate needs a GitHub App identity');
    expect(check.replyText()).toContain(
      `GitHub does not wait for Discord on any environment of ${name}`,
    );
    expect(check.ephemeral).toBe(true);
    expect(app.github.calls.filter((call) => RULES.test(call.path))).toEqual([]);
  });
});
