import { loadAppConfig } from '../config/app-config';
import { Grant } from './access-level';
import { AccessDeniedError } from './access.errors';
import { AccessService } from './access.service';
import { Actor } from './actor';
import { GrantRepository } from './grant.repository';

const ADMIN_ROLE = '111111111111111111';
const DEPLOYER_ROLE = '222222222222222222';

/** A strict fake: only the reads the rules need; anything else fails the test. */
function grantsOf(
  grants: Array<Pick<Grant, 'roleId' | 'level' | 'environments'>>,
): GrantRepository {
  return {
    findForRoles: async (roleIds: string[]) =>
      grants.filter((g) => roleIds.includes(g.roleId)) as Grant[],
    put: () => Promise.reject(new Error('unexpected put')),
    remove: () => Promise.reject(new Error('unexpected remove')),
    list: () => Promise.reject(new Error('unexpected list')),
  } as unknown as GrantRepository;
}

const config = loadAppConfig({
  DISCORD_TOKEN: 'x',
  CLIENT_ID: '123456789012345678',
  GITHUB_TOKEN: 'y',
  ADMIN_ROLE_IDS: ADMIN_ROLE,
  DEPLOYER_ROLE_IDS: DEPLOYER_ROLE,
});

const actor = (roleIds: string[], guildAdministrator = false): Actor => ({
  id: '1',
  name: 'm',
  roleIds,
  guildAdministrator,
});

describe('AccessService', () => {
  it('ranks admin > deployer > viewer from configured roles', async () => {
    const access = new AccessService(config, grantsOf([]));
    expect(await access.permissionsOf(actor([ADMIN_ROLE]))).toEqual({ admin: true, deploy: true });
    expect(await access.permissionsOf(actor([DEPLOYER_ROLE]))).toEqual({
      admin: new Set(),
      deploy: true,
    });
    expect(await access.permissionsOf(actor([]))).toEqual({ admin: new Set(), deploy: new Set() });
  });

  it('limits a grant to its environments, and lets admins deploy where they administer', async () => {
    const access = new AccessService(
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
    const access = new AccessService(
      config,
      grantsOf([
        { roleId: '3', level: 'deployer', environments: ['staging'] },
        { roleId: '5', level: 'deployer', environments: [] },
      ]),
    );
    expect((await access.permissionsOf(actor(['3', '5']))).deploy).toBe(true);
  });

  it('lets Discord Administrators manage access, but not deploy', async () => {
    const access = new AccessService(config, grantsOf([]));
    const owner = actor([], true);
    await expect(access.requireAccessManager(owner)).resolves.toBeUndefined();
    await expect(access.requireDeployer(owner, 'deploy', 'staging')).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    await expect(access.requireAccessManager(actor([DEPLOYER_ROLE]))).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });
});
