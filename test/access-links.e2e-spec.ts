import { AccessService } from '../src/access/access.service';
import { Actor, rawText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('/access link, unlink: linked GitHub accounts', () => {
  let app: TestApp;
  const links = () => appConnection(app.app).collection('github_links');

  beforeAll(async () => {
    // ADMIN_ROLE_IDS holds the admins' role: no bootstrap to go through.
    app = await startAppWithFakes();
  });
  afterAll(() => app?.closeAll());

  /** A member of the server of their own, shown by `nick` when they have one. */
  const aMember = (username: string, nick: string | null = null): Actor => {
    const user = { id: snowflake(), username };
    app.discord.addMember(user, nick);
    return { user, roles: [], permissions: '0' };
  };
  const run = async (actor: Actor, subcommand: string, options: Record<string, string> = {}) => {
    const interaction = await app.discord.command('access', actor, { subcommand, options });
    await interaction.waitForReply();
    return interaction;
  };
  const link = (actor: Actor, member: Actor, login: string) =>
    run(actor, 'link', { member: member.user.id, login });

  it('links a member to a GitHub login, listed by name and answered by the service', async () => {
    const erin = aMember('erin', 'Erin *ops*');
    const linked = await link(app.actors.admin, erin, 'Erin-GH');
    expect(linked.replyText()).toBe('@Erin *ops* is now linked to GitHub account **Erin-GH**.');
    expect(linked.ephemeral).toBe(false);
    expect(await links().findOne({ memberId: erin.user.id })).toMatchObject({
      memberName: 'Erin *ops*',
      login: 'Erin-GH',
      loginKey: 'erin-gh',
      linkedBy: { id: app.actors.admin.user.id, name: 'alice-admin' },
    });

    const list = await run(app.actors.viewer, 'list');
    expect(list.replyText()).toContain('• @Erin *ops* ↔ Erin-GH');
    // Escaped as Discord reads it: the name is plain text, never a mention or markdown.
    expect(rawText(list.reply()!)).toContain('• \\@Erin \\*ops\\* ↔ Erin-GH');
    expect(rawText(list.reply()!)).not.toContain(`<@${erin.user.id}>`);

    const access = app.app.get(AccessService);
    expect(await access.memberLinkedTo('ERIN-gh')).toEqual({
      id: erin.user.id,
      name: 'Erin *ops*',
    });
    expect(await access.githubLoginOf(erin.user.id)).toBe('Erin-GH');
  });

  it("replaces a member's link when linked again, freeing the login it had", async () => {
    const finn = aMember('finn');
    await link(app.actors.admin, finn, 'finn-old');
    const again = await link(app.actors.admin, finn, 'finn-new');
    expect(again.replyText()).toBe(
      '@finn is now linked to GitHub account **finn-new** (instead of finn-old).',
    );
    expect(await links().countDocuments({ memberId: finn.user.id })).toBe(1);
    expect(await app.app.get(AccessService).memberLinkedTo('finn-old')).toBeUndefined();
  });

  it('refuses anyone who may not manage access, and changes nothing', async () => {
    const gail = aMember('gail');
    const attempt = await link(app.actors.deployer, gail, 'gail-gh');
    expect(attempt.replyText()).toBe('Only admins (for every environment) can manage access.');
    expect(attempt.ephemeral).toBe(true);
    expect(await links().countDocuments({ memberId: gail.user.id })).toBe(0);

    await link(app.actors.admin, gail, 'gail-gh');
    const unlink = await run(app.actors.viewer, 'unlink', { member: gail.user.id });
    expect(unlink.replyText()).toBe('Only admins (for every environment) can manage access.');
    expect(await links().countDocuments({ memberId: gail.user.id })).toBe(1);
  });

  it.each([
    [
      '-hank',
      'a GitHub login is 1–39 letters, digits or single hyphens, not starting or ending with a hyphen',
    ],
    [
      'ha--nk',
      'a GitHub login is 1–39 letters, digits or single hyphens, not starting or ending with a hyphen',
    ],
    [
      'h'.repeat(40),
      'a GitHub login is 1–39 letters, digits or single hyphens, not starting or ending with a hyphen',
    ],
    [
      'dependabot[bot]',
      'a GitHub App ([bot]) is not a person: link a member to their own GitHub account',
    ],
  ])('refuses the login %p clearly, and changes nothing', async (login, rule) => {
    const hank = aMember('hank');
    const attempt = await link(app.actors.admin, hank, login);
    expect(attempt.replyText()).toBe(`Invalid login: ${rule}.`);
    expect(attempt.ephemeral).toBe(true);
    expect(await links().countDocuments({ memberId: hank.user.id })).toBe(0);
  });

  it('refuses a login linked to another member, whatever its case', async () => {
    const holder = aMember('ivy');
    const other = aMember('jack');
    await link(app.actors.admin, holder, 'Shared-GH');
    const attempt = await link(app.actors.admin, other, 'shared-gh');
    expect(attempt.replyText()).toBe(
      'GitHub account shared-gh is already linked to another member: unlink that member first (/access unlink).',
    );
    expect(attempt.ephemeral).toBe(true);
    expect(await links().countDocuments({ memberId: other.user.id })).toBe(0);
    expect(await links().findOne({ loginKey: 'shared-gh' })).toMatchObject({
      memberId: holder.user.id,
      login: 'Shared-GH',
    });
  });

  it('unlinks a member, and says so when there is no link', async () => {
    const kim = aMember('kim');
    await link(app.actors.admin, kim, 'kim-gh');
    const unlinked = await run(app.actors.admin, 'unlink', { member: kim.user.id });
    expect(unlinked.replyText()).toBe('@kim is no longer linked to GitHub account **kim-gh**.');
    expect(await links().countDocuments({ memberId: kim.user.id })).toBe(0);
    const again = await run(app.actors.admin, 'unlink', { member: kim.user.id });
    expect(again.replyText()).toBe('That member has no linked GitHub account to unlink.');
    expect(again.ephemeral).toBe(true);
  });

  it('audits every link, with who, what and when', async () => {
    const lee = aMember('lee');
    await link(app.actors.admin, lee, 'lee-gh');
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ command: 'access link', 'options.member': lee.user.id }),
    );
    expect(entry).toMatchObject({
      actor: { id: app.actors.admin.user.id, name: 'alice-admin' },
      outcome: 'ok',
      options: { login: 'lee-gh' },
    });
    expect(entry!.at).toBeInstanceOf(Date);
  });
});
