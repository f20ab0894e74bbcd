import { AccessService } from '../access/access.service';
import { strictFake } from '../../test/support/strict-fake';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient } from '../github/github.client';
import { Service } from './service';
import { ServiceRegistryService } from './service-registry.service';
import { ServiceRepository } from './service.repository';

const admin = { id: '1', name: 'alice', guildId: '2', roleIds: [], guildAdministrator: false };

function registry() {
  const inserted: Service[] = [];
  const services = strictFake<ServiceRepository>('ServiceRepository', {
    findByName: async () => null,
    insert: async (service: Service) => void inserted.push(service),
  });
  const github = strictFake<GithubClient>('GithubClient', {
    getRepository: async () => ({ fullName: 'acme/api', defaultBranch: 'main' }),
    getWorkflow: async () => ({
      id: 1,
      path: '.github/workflows/deploy.yml',
      name: 'Deploy',
      state: 'active',
    }),
    getBranch: async () => 'a'.repeat(40),
  });
  const access = strictFake<AccessService>('AccessService', {
    requireAdmin: async () => undefined,
  });
  const history = strictFake<DeploymentHistory>('DeploymentHistory');
  return { service: new ServiceRegistryService(services, history, github, access), inserted };
}

describe('ServiceRegistryService.add', () => {
  it('protects prod and production by default, whichever are allowed', async () => {
    const { service, inserted } = registry();
    await service.add(admin, {
      name: 'a',
      owner: 'acme',
      repo: 'api',
      envs: 'dev,production,prod',
    });
    expect(inserted[0].protectedEnvironments).toEqual(['production', 'prod']);
    await service.add(admin, { name: 'b', owner: 'acme', repo: 'api', envs: 'dev, qa' });
    expect(inserted[1].protectedEnvironments).toEqual([]);
  });

  it('accepts "none" for no protected environment, and removes duplicate environments', async () => {
    const { service, inserted } = registry();
    await service.add(admin, {
      name: 'c',
      owner: 'acme',
      repo: 'api',
      envs: 'staging, STAGING, prod',
      protected: 'none',
    });
    expect(inserted[0]).toMatchObject({
      environments: ['staging', 'prod'],
      protectedEnvironments: [],
    });
  });

  it('writes nothing when a field is malformed', async () => {
    const { service, inserted } = registry();
    await expect(service.add(admin, { name: '-bad', owner: 'acme', repo: 'api' })).rejects.toThrow(
      'Invalid name',
    );
    await expect(
      service.add(admin, { name: 'ok', owner: 'acme', repo: 'api', envs: ' , ' }),
    ).rejects.toThrow('Invalid envs: list at least one environment.');
    expect(inserted).toEqual([]);
  });
});
