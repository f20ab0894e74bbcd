import { AppConfig, loadAppConfig } from '../config/app-config';
import { Grant } from './access-level';
import { AccessDeniedError } from './access.errors';
import { AccessService } from './access.service';
import { Actor } from '../../libs/people';
import { GrantRepository } from './grant.repository';
import { GithubLinkRepository } from './github-link.repository';
import { strictFake } from '../../test/support/strict-fake';

const ADMIN_ROLE = '111111111111111111';
const DEPLOYER_ROLE = '222222222222222222';
const HOME = '999999999999999999';
const ELSEWHERE = '888888888888888888';

/** A strict fake: only the reads the rules need; anything else fails the test. */
function grantsOf(
  grants: Array<Pick<Grant, 'roleId' | 'level' | 'environments'> & { guildId?: string }>,
): GrantRepository {
  const inGuild = (guildId: string) => grants.filter((g) => (g.guildId ?? HOME) === guildId);
  const ended = new Set<string>();
  return {
    bootstrapEnded: async (guildId: string) => ended.has(guildId),
    endBootstrap: async (guildId: string) => void ended.add(guildId),
    findForRoles: async (guildId: string, roleIds: string[]) =>
      inGuild(guildId).filter((g) => roleIds.includes(g.roleId)) as Grant[],
    hasAdmin: async (guildId: string) => inGuild(guildId).some((g) => g.level === 'admin'),
    put: () => Promise.reject(new Error('unexpected put')),
    remove: () => Promise.reject(new Error('unexpected remove')),
    list: () => Promise.reject(new Error('unexpected list')),
  } as unknown as GrantRepository;
}

/** Rules that are not about links touch no link. */
const noLinks = strictFake<GithubLinkRepository>('links');

const accessWith = (
  appConfig: AppConfig,
  grants: GrantRepository,
  links: GithubLinkRepository = noLinks,
) => new AccessService(appConfig, grants, links);

const base = {
  DISCORD_TOKEN: 'x',
  CLIENT_ID: '123456789012345678',
  GUILD_ID: HOME,
  GITHUB_TOKEN: 'y',
};
const config = loadAppConfig({
  ...base,
  ADMIN_ROLE_IDS: ADMIN_ROLE,
  DEPLOYER_ROLE_IDS: DEPLOYER_ROLE,
});
const freshInstall = loadAppConfig(base);

const actor = (roleIds: string[], guildAdministrator = false, guildId = HOME): Actor => ({
  id: '1',
  name: 'm',
  guildId,
  roleIds,
  guildAdministrator,
});

describe('AccessService', () => {
  it('ranks admin > deployer > viewer from configured roles', async () => {
    const access = accessWith(config, grantsOf([]));
    expect(await access.permissionsOf(actor([ADMIN_ROLE]))).toEqual({ admin: true, deploy: true });
    expect(await access.permissionsOf(actor([DEPLOYER_ROLE]))).toEqual({
      admin: new Set(),
      deploy: true,
    });
    expect(await access.permissionsOf(actor([]))).toEqual({ admin: new Set(), deploy: new Set() });
  });

  it('limits a grant to its environments, and lets admins deploy where they administer', async () => {
    const access = accessWith(
      config,
      grantsOf([
        { roleId: '3', level: 'deployer', environments: ['staging'] },
        { roleId: '4', level: 'admin', environments: ['qa'] },
      ]),
    );
    const member = actor(['3', '4']);
    await expect(access.requireDeployer(member, 'deploy', 'staging')).resolves.toBeUndefined();
    await expect(access.requireDeployer(member, 'deploy', 'qa')).resolves.toBeUndefined();
    await expect(access.requireDeployer(member, 'deploy', 'prod')).rejects.toThrow(
      'Only deployers and admins for prod can deploy.',
    );
    await expect(access.requireAdmin(member, 'approve', 'qa')).resolves.toBeUndefined();
    await expect(access.requireAdmin(member, 'approve', 'prod')).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    await expect(access.requireAdmin(member, 'add services')).rejects.toThrow(
      'Only admins can add services.',
    );
  });

  it('lets an unrestricted grant widen a restricted one', async () => {
    const access = accessWith(
      config,
      grantsOf([
        { roleId: '3', level: 'deployer', environments: ['staging'] },
        { roleId: '5', level: 'deployer', environments: [] },
      ]),
    );
    expect((await access.permissionsOf(actor(['3', '5']))).deploy).toBe(true);
  });

  it('lets Discord Administrators manage access only while no admin exists, and never deploy', async () => {
    const owner = actor([], true);
    const fresh = accessWith(freshInstall, grantsOf([]));
    await expect(fresh.requireAccessManager(owner)).resolves.toBe(true);
    await expect(fresh.requireDeployer(owner, 'deploy', 'staging')).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    // ADMIN_ROLE_IDS, or any admin grant, ends the bootstrap.
    await expect(accessWith(config, grantsOf([])).requireAccessManager(owner)).rejects.toThrow(
      "Discord's Administrator permission counts only until the first admin exists.",
    );
    const granted = accessWith(
      freshInstall,
      grantsOf([{ roleId: '7', level: 'admin', environments: [] }]),
    );
    await expect(granted.requireAccessManager(owner)).rejects.toBeInstanceOf(AccessDeniedError);
    // Even one limited to some environments.
    const scoped = accessWith(
      freshInstall,
      grantsOf([{ roleId: '7', level: 'admin', environments: ['qa'] }]),
    );
    await expect(scoped.requireAccessManager(owner)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(fresh.requireAccessManager(actor([DEPLOYER_ROLE]))).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it('lets the bootstrap make only an admin for every environment: nobody is locked out after it', async () => {
    const owner = actor([], true);
    const fresh = accessWith(freshInstall, grantsOf([]));
    const role = { id: '7', name: 'Admins', everyone: false };
    const refusal =
      'The first grant must make a role admin for every environment (level:admin, no envs): from then on only admins manage access.';
    await expect(fresh.grant(owner, role, 'admin', 'qa')).rejects.toThrow(refusal);
    await expect(fresh.grant(owner, role, 'deployer')).rejects.toThrow(refusal);
  });

  it('gives roles and grants of another server nothing, not even the bootstrap', async () => {
    const access = accessWith(
      freshInstall,
      grantsOf([{ roleId: '5', level: 'admin', environments: [], guildId: ELSEWHERE }]),
    );
    const outsider = actor(['5'], true, ELSEWHERE);
    expect(await access.permissionsOf(outsider)).toEqual({ admin: new Set(), deploy: new Set() });
    await expect(access.requireAccessManager(outsider)).rejects.toBeInstanceOf(AccessDeniedError);
    // The same grant does not count for a home member holding a role of that id either.
    expect((await access.permissionsOf(actor(['5']))).admin).toEqual(new Set());
    const configured = accessWith(config, grantsOf([]));
    expect(
      (await configured.permissionsOf(actor([ADMIN_ROLE], false, null as never))).admin,
    ).toEqual(new Set());
  });
});

describe('AccessService: linked GitHub accounts', () => {
  const admin = actor([ADMIN_ROLE]);
  const member = { id: '42', name: 'erin' };

  it('refuses anyone who may not manage access before looking at the login', async () => {
    const access = accessWith(config, grantsOf([]));
    await expect(access.linkGithub(actor([DEPLOYER_ROLE]), member, 'erin')).rejects.toThrow(
      'Only admins (for every environment) can manage access.',
    );
    await expect(access.unlinkGithub(actor([]), member.id)).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it.each([
    ['', 'a GitHub login is 1–39'],
    ['-erin', 'a GitHub login is 1–39'],
    ['erin-', 'a GitHub login is 1–39'],
    ['er--in', 'a GitHub login is 1–39'],
    ['e'.repeat(40), 'a GitHub login is 1–39'],
    ['erin_gh', 'a GitHub login is 1–39'],
    ['dependabot[bot]', 'a GitHub App ([bot]) is not a person'],
    ['Erin[BOT]', 'a GitHub App ([bot]) is not a person'],
  ])('refuses the login %p without storing anything', async (login, rule) => {
    const access = accessWith(config, grantsOf([]));
    await expect(access.linkGithub(admin, member, login)).rejects.toThrow(`Invalid login: ${rule}`);
  });

  it('stores the login as typed and lowercased, and refuses one another member holds', async () => {
    const put: unknown[] = [];
    let taken = false;
    const links = strictFake<GithubLinkRepository>('links', {
      put: async (link: unknown) => (put.push(link), taken ? { linked: false } : { linked: true }),
    });
    const access = accessWith(config, grantsOf([]), links);
    const { link } = await access.linkGithub(admin, member, '  Erin-GH ');
    expect(link).toMatchObject({ memberId: '42', memberName: 'erin', login: 'Erin-GH' });
    expect(put).toEqual([
      expect.objectContaining({ loginKey: 'erin-gh', linkedBy: { id: '1', name: 'm' } }),
    ]);
    taken = true;
    await expect(access.linkGithub(admin, member, 'Erin-GH')).rejects.toThrow(
      'GitHub account Erin-GH is already linked to another member: unlink that member first (/access unlink).',
    );
  });

  it('finds the member of a login whatever its case', async () => {
    const asked: string[] = [];
    const links = strictFake<GithubLinkRepository>('links', {
      findByLoginKey: async (key: string) => {
        asked.push(key);
        return key === 'erin-gh' ? { memberId: '42', memberName: 'erin' } : undefined;
      },
    });
    const access = accessWith(config, grantsOf([]), links);
    expect(await access.memberLinkedTo('ERIN-gh')).toEqual({ id: '42', name: 'erin' });
    expect(await access.memberLinkedTo('someone')).toBeUndefined();
    expect(asked).toEqual(['erin-gh', 'someone']);
  });
});
