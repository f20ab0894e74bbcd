import { seedService, storedDeployment, deploymentIdOf, runDeploy } from './support/deploys';
import { Actor } from './support/fake-discord/fake-discord';
import { FakeGuild } from './support/fake-discord/payloads';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import { rolesOf, startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const REFUSAL = 'This bot only works in its home server.';

describe('the home server, and no other', () => {
  let app: TestApp;
  let outsiderGuild: FakeGuild;
  let outsider: Actor;
  let dm: Actor;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0' },
      arrange: ({ discord, github }) => {
        github.addRepo('acme', 'api');
        // Someone added the public bot to a server of their own, where they hold Administrator.
        outsiderGuild = discord.addGuild({
          name: 'Outsider HQ',
          roles: [{ id: snowflake(), name: 'pwn', permissions: '8' }],
        });
      },
    });
    outsider = {
      user: { id: snowflake(), username: 'mallory' },
      roles: [outsiderGuild.roles[0].id],
      permissions: '8',
      guildId: outsiderGuild.id,
    };
    dm = { user: { id: snowflake(), username: 'dm-user' }, dm: true };
    await seedService(app, { name: 'api' });
  });
  afterAll(() => app?.closeAll());

  const db = () => appConnection(app.app);

  it('registers guild-only commands in the home server, and clears any global ones', async () => {
    const commands = app.discord.registeredCommands();
    expect(commands.length).toBeGreaterThan(5);
    for (const command of commands) {
      expect({ name: command.name, contexts: command.contexts }).toEqual({
        name: command.name,
        contexts: [0],
      });
      expect(command.integration_types).toEqual([0]);
    }
    const [globalPut] = await waitFor('the global commands to be cleared', () => {
      const calls = app.discord.callsTo('PUT', /^\/applications\/\d+\/commands$/);
      return calls.length ? calls : undefined;
    });
    expect(globalPut.body).toEqual([]);
    expect(app.discord.registeredCommands(outsiderGuild.id)).toEqual([]);
  });

  it('refuses an outside Administrator at every step, audits it, and changes nothing', async () => {
    const homeRoles = rolesOf(app.discord);
    const attempts: Array<[string, Record<string, unknown>, string?]> = [
      ['access', { role: outsiderGuild.roles[0].id, level: 'admin' }, 'grant'],
      ['access', {}, 'list'],
      ['service', { name: 'evil', owner: 'acme', repo: 'api' }, 'add'],
      ['deploy', { service: 'api', env: 'staging' }],
      ['deploy', { service: 'api', env: 'prod' }],
      ['rollback', { service: 'api', env: 'prod' }],
      ['lock', { service: 'api', env: 'prod', reason: 'mine now' }],
      ['cancel', { id: 'd-000000' }],
      ['status', { service: 'api' }],
      ['ping', {}],
    ];
    for (const [name, options, subcommand] of attempts) {
      const handle = await app.discord.command(name, outsider, { subcommand, options });
      const reply = await handle.waitForReply();
      expect({ name, subcommand, reply: reply.content, ephemeral: handle.ephemeral }).toEqual({
        name,
        subcommand,
        reply: REFUSAL,
        ephemeral: true,
      });
    }
    expect(await db().collection('access_grants').countDocuments()).toBe(0);
    expect(await db().collection('services').countDocuments({ name: 'evil' })).toBe(0);
    expect(await db().collection('deployments').countDocuments()).toBe(0);
    expect(await db().collection('target_locks').countDocuments()).toBe(0);
    expect(app.github.dispatches).toEqual([]);
    const audit = await waitFor('every refusal in the audit log', async () => {
      const entries = await db()
        .collection('audit')
        .find({ 'actor.id': outsider.user.id })
        .toArray();
      return entries.length === attempts.length ? entries : undefined;
    });
    for (const entry of audit)
      expect(entry).toMatchObject({
        outcome: 'refused',
        code: 'ACCESS.FOREIGN_GUILD',
        guildId: outsiderGuild.id,
      });
    // The home server's own admins are untouched by any of it.
    expect(homeRoles.admin).toBeDefined();
  });

  it('offers nothing to autocomplete and ignores forged buttons from outside', async () => {
    const choices = await app.discord.autocomplete('deploy', outsider, {
      options: { service: '' },
      focused: 'service',
    });
    expect(choices).toEqual([]);
    const home = await runDeploy(app, app.actors.deployer, 'api', 'prod');
    const id = await deploymentIdOf(home);
    const click = await app.discord.clickCustomId(
      `approval/${id}/approve`,
      outsider,
      home.reply()!.id,
    );
    expect((await click.waitForReply((m) => m.content === REFUSAL)).content).toBe(REFUSAL);
    expect((await storedDeployment(app, id)).status).toBe('pending_approval');
    await app.discord.clickButton('Cancel', app.actors.deployer, home.reply()!.id);
  });

  it('refuses direct messages the same way', async () => {
    const handle = await app.discord.command('deploy', dm, {
      options: { service: 'api', env: 'staging' },
    });
    expect((await handle.waitForReply()).content).toBe(REFUSAL);
    expect(handle.ephemeral).toBe(true);
    const entry = await waitFor('the audit entry', () =>
      db().collection('audit').findOne({ 'actor.id': dm.user.id }),
    );
    expect(entry).toMatchObject({ outcome: 'refused', guildId: null, command: 'deploy' });
  });
});

describe('Administrator counts only for the first-run bootstrap', () => {
  it('lets a home Administrator grant the first admin, and nothing after that', async () => {
    const app = await startAppWithFakes({ env: { ADMIN_ROLE_IDS: '', DEPLOYER_ROLE_IDS: '' } });
    try {
      const roles = rolesOf(app.discord);
      const grant = (actor: Actor, role: string, level: string) =>
        app.discord
          .command('access', actor, { subcommand: 'grant', options: { role, level } })
          .then((handle) => handle.waitForReply());
      const first = await grant(app.actors.guildAdministrator, roles.admin, 'admin');
      expect(first.content).toBe(`<@&${roles.admin}> is now **admin** for every environment.`);
      const second = await grant(app.actors.guildAdministrator, roles.other, 'admin');
      expect(second.content).toBe(
        "Only admins (for every environment) can manage access. Discord's Administrator permission counts only until the first admin exists.",
      );
      expect(await appConnection(app.app).collection('access_grants').countDocuments()).toBe(1);
      // The grant names its server.
      expect(
        await appConnection(app.app).collection('access_grants').findOne({ roleId: roles.admin }),
      ).toMatchObject({ guildId: app.discord.guild.id });
      const byAdmin = await grant(app.actors.admin, roles.deployer, 'deployer');
      expect(byAdmin.content).toContain('is now **deployer**');
    } finally {
      await app.closeAll();
    }
  });
});
