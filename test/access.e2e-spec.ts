import { FakeDiscord } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { appConnection } from './support/mongo';
import {
  rolesOf,
  startFakeDiscord,
  startTestApp,
  TestApp,
  testEnvironment,
} from './support/test-app';
import { waitFor } from './support/wait-for';

describe('/access', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;
  let roles: ReturnType<typeof rolesOf>;
  const grants = () => appConnection(app.app).collection('access_grants');

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    roles = rolesOf(discord);
    // A fresh install: no roles configured, only Discord's Administrator permission counts.
    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, { ADMIN_ROLE_IDS: '', DEPLOYER_ROLE_IDS: '' }),
    );
  });
  afterAll(() => app?.closeAll());

  const run = async (
    actor: TestApp['actors'][keyof TestApp['actors']],
    subcommand: string,
    options: Record<string, string> = {},
  ) => {
    const interaction = await discord.command('access', actor, { subcommand, options });
    await interaction.waitForReply();
    return interaction;
  };
  const addService = async (actor: TestApp['actors'][keyof TestApp['actors']], name: string) => {
    const interaction = await discord.command('service', actor, {
      subcommand: 'add',
      options: { name, owner: 'acme', repo: 'api' },
    });
    await interaction.waitForReply();
    return interaction.replyText();
  };

  it('lets a member with the Administrator permission configure a fresh install', async () => {
    const granted = await run(app.actors.guildAdministrator, 'grant', {
      role: roles.admin,
      level: 'admin',
    });
    expect(granted.replyText()).toBe(`<@&${roles.admin}> is now **admin** for every environment.`);
    expect(granted.ephemeral).toBe(false);
    expect(await grants().findOne({ roleId: roles.admin })).toMatchObject({
      level: 'admin',
      environments: [],
      roleName: 'admins',
    });
  });

  it('refuses to let anyone else manage access, and changes nothing', async () => {
    const attempt = await run(app.actors.deployer, 'grant', {
      role: roles.deployer,
      level: 'admin',
    });
    expect(attempt.replyText()).toBe('Only admins (for every environment) can manage access.');
    expect(attempt.ephemeral).toBe(true);
    expect(await grants().countDocuments({ roleId: roles.deployer })).toBe(0);
  });

  it('changes what a role may do immediately, both ways', async () => {
    expect(await addService(app.actors.viewer, 'before-grant')).toBe(
      'Only admins can add services.',
    );
    await run(app.actors.admin, 'grant', { role: roles.other, level: 'admin' });
    expect(await addService(app.actors.viewer, 'after-grant')).toContain(
      'Service after-grant added',
    );
    await run(app.actors.admin, 'revoke', { role: roles.other });
    expect(await addService(app.actors.viewer, 'after-revoke')).toBe(
      'Only admins can add services.',
    );
  });

  it('gives an environment-limited admin no say over everything', async () => {
    await run(app.actors.admin, 'grant', {
      role: roles.stagingDeployer,
      level: 'admin',
      envs: 'staging',
    });
    const stagingAdmin = {
      user: { id: '100000000000000001', username: 'sam' },
      roles: [roles.stagingDeployer],
    };
    expect(await addService(stagingAdmin, 'by-staging-admin')).toBe(
      'Only admins can add services.',
    );
    const attempt = await run(stagingAdmin, 'grant', { role: roles.other, level: 'admin' });
    expect(attempt.replyText()).toContain('Only admins (for every environment)');
  });

  it('lists grants and configured roles', async () => {
    await run(app.actors.admin, 'grant', {
      role: roles.deployer,
      level: 'deployer',
      envs: 'staging, qa',
    });
    const list = await run(app.actors.viewer, 'list');
    expect(list.ephemeral).toBe(true);
    expect(list.replyText()).toContain(
      `<@&${roles.deployer}> (deployers): **deployer** for staging, qa, by alice-admin`,
    );
    expect(list.replyText()).toContain(
      `<@&${roles.admin}> (admins): **admin** for every environment`,
    );
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const count = await grants().countDocuments();
    const badEnvs = await run(app.actors.admin, 'grant', {
      role: roles.other,
      level: 'deployer',
      envs: 'staging, !!',
    });
    expect(badEnvs.replyText()).toBe(
      'Invalid envs: "!!" is not an environment name (a-z, 0-9, _ and -, up to 32 characters).',
    );
    const everyone = await run(app.actors.admin, 'grant', {
      role: discord.guild.id,
      level: 'deployer',
    });
    expect(everyone.replyText()).toBe('Invalid role: grant to a specific role, not @everyone.');
    const nothing = await run(app.actors.admin, 'revoke', { role: roles.other });
    expect(nothing.replyText()).toBe('Role everyone-else has no grant to revoke.');
    expect(await grants().countDocuments()).toBe(count);
  });

  it('audits refusals with who, what and when', async () => {
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ 'actor.id': app.actors.deployer.user.id, command: 'access grant' }),
    );
    expect(entry).toMatchObject({
      actor: { name: 'dana-deployer' },
      outcome: 'refused',
      code: 'ACCESS.DENIED',
      options: { role: roles.deployer, level: 'admin' },
    });
    expect(entry!.at).toBeInstanceOf(Date);
  });
});

describe('/access: the first-run bootstrap happens once', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, { ADMIN_ROLE_IDS: '', DEPLOYER_ROLE_IDS: '' }),
    );
  });
  afterAll(() => app?.closeAll());

  it("does not hand access back to Discord's Administrators once every admin grant is revoked", async () => {
    const roles = rolesOf(discord);
    const run = async (
      actor: TestApp['actors'][keyof TestApp['actors']],
      subcommand: string,
      options: Record<string, string>,
    ) => {
      const interaction = await discord.command('access', actor, { subcommand, options });
      await interaction.waitForReply();
      return interaction.replyText();
    };
    await run(app.actors.guildAdministrator, 'grant', { role: roles.admin, level: 'admin' });
    expect(await run(app.actors.admin, 'revoke', { role: roles.admin })).toContain(
      'no longer has a grant',
    );
    const again = await run(app.actors.guildAdministrator, 'grant', {
      role: roles.other,
      level: 'admin',
    });
    expect(again).toBe(
      "Only admins (for every environment) can manage access. Discord's Administrator permission counts only until the first admin exists.",
    );
    expect(await appConnection(app.app).collection('access_grants').countDocuments()).toBe(0);
  });

  it('keeps it closed for an install whose admin grant was made before that was recorded', async () => {
    const roles = rolesOf(discord);
    const db = appConnection(app.app);
    await db.collection('access_bootstrap').deleteMany({});
    await db.collection('access_grants').deleteMany({});
    await db.collection('access_grants').insertOne({
      guildId: discord.guild.id,
      roleId: roles.admin,
      roleName: 'admins',
      level: 'admin',
      environments: [],
      grantedBy: { id: '1', name: 'someone' },
      grantedAt: new Date(),
    });
    const revoke = await discord.command('access', app.actors.admin, {
      subcommand: 'revoke',
      options: { role: roles.admin },
    });
    await revoke.waitForReply();
    expect(revoke.replyText()).toContain('no longer has a grant');
    const again = await discord.command('access', app.actors.guildAdministrator, {
      subcommand: 'grant',
      options: { role: roles.other, level: 'admin' },
    });
    await again.waitForReply();
    expect(again.replyText()).toContain('counts only until the first admin exists');
    expect(await db.collection('access_grants').countDocuments()).toBe(0);
  });
});
