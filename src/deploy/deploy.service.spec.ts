import { AccessService } from '../access/access.service';
import { loadAppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { AdmissionGuards } from './admission';
import { CooldownRepository } from './cooldown.repository';
import { DeployService } from './deploy.service';
import { Deployment } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository, InsertOutcome } from './deployment.repository';
import { RefResolver } from './ref-resolver';
import { TargetLockRepository } from './target-lock.repository';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const service: Service = {
  name: 'api',
  owner: 'acme',
  repo: 'api',
  workflow: 'deploy.yml',
  environments: ['staging', 'prod'],
  protectedEnvironments: ['prod'],
  defaultRef: 'main',
  environmentInput: 'environment',
  shaInput: 'sha',
  idInput: 'deployment_id',
  addedBy: { id: '1', name: 'a' },
  addedAt: new Date(),
};
const actor = { id: '42', name: 'dana', guildId: '1', roleIds: [], guildAdministrator: false };

/** Strict fakes: each records its calls; a method not given fails the test when called. */
function strict<T>(name: string, calls: string[], methods: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(methods, {
    get: (target, key) => {
      if (key === 'then') return undefined;
      if (!(key in target)) throw new Error(`unexpected call ${name}.${String(key)}`);
      const method = target[key as keyof typeof target] as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(key)}`);
        return method(...args);
      };
    },
  }) as unknown as T;
}

function harness(
  opts: {
    busy?: Deployment;
    cooldownUntil?: Date;
    insert?: InsertOutcome[];
    resolveFails?: boolean;
  } = {},
) {
  const calls: string[] = [];
  const inserted: Deployment[] = [];
  const inserts = [...(opts.insert ?? [{ inserted: true }])];
  const deployments = strict<DeploymentRepository>('deployments', calls, {
    findInFlightForTarget: async () => opts.busy ?? null,
    insertInFlight: async (d: Deployment) => {
      inserted.push(d);
      return inserts.shift() ?? { inserted: true };
    },
    listInFlight: async () => [],
  });
  const cooldowns = strict<CooldownRepository>('cooldowns', calls, {
    claim: async () =>
      opts.cooldownUntil
        ? { claimed: false, lastAcceptedAt: opts.cooldownUntil }
        : { claimed: true, release: async () => void calls.push('cooldown released') },
  });
  const config = loadAppConfig({
    DISCORD_TOKEN: 'x',
    CLIENT_ID: '123456789012345678',
    GUILD_ID: '123456789012345679',
    GITHUB_TOKEN: 'y',
    DEPLOY_COOLDOWN_MS: '60000',
  });
  const deploys = new DeployService(
    config,
    strict<AccessService>('access', calls, { requireDeployer: async () => undefined }),
    strict<ServiceRegistryService>('registry', calls, { getForEnvironment: async () => service }),
    strict<GithubClient>('github', calls, {}),
    deployments,
    new AdmissionGuards(config, deployments, cooldowns),
    strict<DeploymentEvents>('events', calls, { changed: () => undefined }),
    strict<TargetLockRepository>('locks', calls, { find: async () => null }),
    strict<RefResolver>('refs', calls, {
      resolve: async (_s: Service, _e: string, ref: string) => {
        if (opts.resolveFails) throw new Error('no such ref');
        return { ref, kind: 'branch', sha: SHA, allowedBy: 'branch:main' };
      },
    }),
  );
  return { deploys, calls, inserted };
}

describe('DeployService.prepare and admit', () => {
  it('checks the busy target and the cooldown before GitHub is asked anything', async () => {
    const { deploys, calls } = harness();
    await deploys.prepare(actor, { service: 'api', environment: 'staging', ref: 'release/2' });
    expect(calls).toEqual([
      'registry.getForEnvironment',
      'access.requireDeployer',
      'locks.find',
      'deployments.findInFlightForTarget',
      'cooldowns.claim',
      'refs.resolve',
    ]);
  });

  it('records the deployment as dispatching, dispatched on the default branch with the SHA as input', async () => {
    const { deploys, inserted } = harness();
    const prepared = await deploys.prepare(actor, {
      service: 'api',
      environment: 'Staging',
      ref: 'release/2',
    });
    const deployment = await deploys.admit(actor, prepared);
    expect(deployment).toMatchObject({
      environment: 'staging',
      ref: 'release/2',
      sha: SHA,
      status: 'dispatching',
      // The workflow definition comes from the default branch, whatever ref was asked for.
      dispatchRef: 'main',
      source: {
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        inputs: { environment: 'staging', sha: SHA, deployment_id: deployment.id },
      },
    });
    expect(deployment.id).toMatch(/^d-[0-9a-f]{6}$/);
    expect(inserted).toHaveLength(1);
  });

  it('marks protected environments for the approval flow, inserting nothing', async () => {
    const { deploys, inserted } = harness();
    const prepared = await deploys.prepare(actor, { service: 'api', environment: 'prod' });
    expect(prepared).toMatchObject({ environment: 'prod', sha: SHA, protected: true });
    expect(inserted).toEqual([]);
  });

  it('says how long the cooldown lasts, and asks GitHub nothing', async () => {
    const { deploys, calls } = harness({ cooldownUntil: new Date(Date.now() - 15_000) });
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging' }),
    ).rejects.toThrow(/you can deploy again in (45|46) s/);
    expect(calls).not.toContain('refs.resolve');
  });

  it('gives the cooldown back when the ref is refused', async () => {
    const { deploys, calls } = harness({ resolveFails: true });
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging', ref: 'nope' }),
    ).rejects.toThrow('no such ref');
    expect(calls.at(-1)).toBe('cooldown released');
  });

  it('gives the cooldown back when the lock or the cap refuses after it was taken', async () => {
    const { deploys, calls } = harness({ insert: [{ inserted: false, reason: 'cap' }] });
    const prepared = await deploys.prepare(actor, { service: 'api', environment: 'staging' });
    await expect(deploys.admit(actor, prepared)).rejects.toThrow(
      /already in flight, the most allowed at once/,
    );
    expect(calls).toContain('cooldown released');
  });

  it('tries another id when one collides', async () => {
    const { deploys, inserted } = harness({
      insert: [{ inserted: false, reason: 'id' }, { inserted: true }],
    });
    await deploys.admit(
      actor,
      await deploys.prepare(actor, { service: 'api', environment: 'staging' }),
    );
    expect(inserted).toHaveLength(2);
    expect(inserted[0].id).not.toBe(inserted[1].id);
  });
});
