import { Clock } from '../../libs/clock';
import { strictFake } from '../../test/support/strict-fake';
import { aService } from '../../test/support/factories';
import { AccessService } from '../access/access.service';
import { AppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from './service';
import { ServiceRegistryService } from './service-registry.service';
import { ServiceSettingsService } from './service-settings.service';
import { ServiceRepository } from './service.repository';

const actor = { id: '1', name: 'alice', guildId: '2', roleIds: [], guildAdministrator: false };
const APP = { kind: 'app', appId: 7, privateKey: 'pem' } as const;

function settings(
  options: {
    service?: Service;
    identity?: AppConfig['github']['identity'];
    rules?: Record<string, Awaited<ReturnType<GithubClient['listProtectionRuleApps']>>>;
    admin?: boolean;
  } = {},
) {
  const service = options.service ?? aService();
  const calls: string[] = [];
  const registry = strictFake<ServiceRegistryService>('ServiceRegistryService', {
    get: async () => service,
    getForEnvironment: async () => service,
  });
  const repository = strictFake<ServiceRepository>(
    'ServiceRepository',
    {
      setTargetFields: async () => service,
      setOutsideRuns: async () => service,
    },
    calls,
  );
  const access = strictFake<AccessService>('AccessService', {
    requireAdmin: async () => {
      if (options.admin === false) throw new Error('Only admins can do that.');
    },
  });
  const github = strictFake<GithubClient>(
    'GithubClient',
    options.rules
      ? {
          listProtectionRuleApps: async (_o: string, _r: string, env: string) =>
            options.rules![env],
        }
      : {},
    calls,
  );
  const config = { github: { identity: options.identity ?? APP } } as AppConfig;
  return {
    settings: new ServiceSettingsService(registry, repository, access, github, config, new Clock()),
    calls,
  };
}

describe('ServiceSettingsService.checkProtectionRules', () => {
  it("tells, per environment, whether this App is GitHub's enabled rule there", async () => {
    const { settings: check } = settings({
      service: aService({ environments: ['dev', 'staging', 'prod', 'qa'] }),
      rules: {
        dev: [{ appId: 8, slug: 'another-bot', enabled: true }],
        staging: [{ appId: 7, slug: 'deploy-bot', enabled: false }],
        prod: [
          { appId: 8, slug: 'another-bot', enabled: true },
          { appId: 7, slug: 'deploy-bot', enabled: true },
        ],
        qa: 'no-environment',
      },
    });
    await expect(check.checkProtectionRules('api')).resolves.toMatchObject({
      identity: 'app',
      environments: [
        { environment: 'dev', state: 'not-a-rule' },
        { environment: 'staging', state: 'disabled' },
        { environment: 'prod', state: 'waits' },
        { environment: 'qa', state: 'no-environment' },
      ],
    });
  });

  it('asks GitHub nothing with a token identity: only an App can be a rule', async () => {
    const { settings: check, calls } = settings({ identity: { kind: 'token', token: 't' } });
    await expect(check.checkProtectionRules('api')).resolves.toMatchObject({ identity: 'token' });
    expect(calls).toEqual([]);
  });
});

describe('ServiceSettingsService.setChannel', () => {
  it('refuses a non-admin before looking at the channel', async () => {
    const { settings: s, calls } = settings({ admin: false });
    await expect(
      s.setChannel(actor, 'api', 'prod', { channel: { id: '1', usable: false } }),
    ).rejects.toThrow('Only admins');
    expect(calls).toEqual([]);
  });

  it.each([
    [{ channel: { id: '1', usable: false } }, 'Invalid channel: a text or announcement channel'],
    [{}, 'Nothing to change: give channel, or clear:true'],
    [{ clear: false }, 'Nothing to change'],
    [{ channel: { id: '1', usable: true }, clear: true }, 'Give channel or clear:true, not both.'],
  ])('refuses %j, writing nothing', async (change, message) => {
    const { settings: s, calls } = settings();
    await expect(s.setChannel(actor, 'api', 'prod', change)).rejects.toThrow(message);
    expect(calls).toEqual([]);
  });
});
