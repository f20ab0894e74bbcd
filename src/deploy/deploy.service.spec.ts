import { AccessService } from '../access/access.service';
import { loadAppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { AdmissionGuards } from './admission';
import { CooldownRepository } from './cooldown.repository';
import { DeployService } from './deploy.service';
import { dispatchRefFor } from './dispatch-ref';
import { Deployment } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository, InsertOutcome } from './deployment.repository';
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
  addedBy: { id: '1', name: 'a' },
  addedAt: new Date(),
};
const actor = { id: '42', name: 'dana', roleIds: [], guildAdministrator: false };

/** Strict fakes: each records its calls; a method not given fails the test when called. */
function harness(opts: { busy?: Deployment; cooldownUntil?: Date; insert?: InsertOutcome[] } = {}) {
  const calls: string[] = [];
  const released: string[] = [];
  const inserts = [...(opts.insert ?? [{ inserted: true }])];
  const strict = <T>(name: string, methods: Partial<Record<keyof T, unknown>>) =>
    new Proxy(methods, {
      get: (target, key) => {
        if (key in target) return target[key as keyof typeof target];
        if (key === 'then') return undefined;
        throw new Error(`unexpected call ${name}.${String(key)}`);
      },
    }) as unknown as T;
  const deployments = strict<DeploymentRepository>('deployments', {
    findInFlightForTarget: async () => opts.busy ?? null,
    insertInFlight: async (d: Deployment) => {
      calls.push(`insert ${d.status} ${d.dispatchRef}`);
      return inserts.shift() ?? { inserted: true };
    },
    listInFlight: async () => [],
  });
  const cooldowns = strict<CooldownRepository>('cooldowns', {
    claim: async () =>
      opts.cooldownUntil
        ? { claimed: false, lastAcceptedAt: opts.cooldownUntil }
        : { claimed: true, release: async () => void released.push('cooldown') },
  });
  const config = loadAppConfig({
    DISCORD_TOKEN: 'x',
    CLIENT_ID: '123456789012345678',
    GITHUB_TOKEN: 'y',
    DEPLOY_COOLDOWN_MS: '60000',
  });
  const service$ = new DeployService(
    config,
    strict<AccessService>('access', { requireDeployer: async () => undefined }),
    strict<ServiceRegistryService>('registry', { getForEnvironment: async () => service }),
    strict<GithubClient>('github', { resolveRef: async () => ({ sha: SHA }) }),
    deployments,
    new AdmissionGuards(config, deployments, cooldowns),
    strict<DeploymentEvents>('events', { changed: () => calls.push('changed') }),
    strict<TargetLockRepository>('locks', { find: async () => null }),
  );
  return { deploys: service$, calls, released };
}

describe('DeployService.prepare and admit', () => {
  it('records the deployment as dispatching, with the resolved SHA, before anything is dispatched', async () => {
    const { deploys, calls } = harness();
    const deployment = await deploys
      .prepare(actor, { service: 'api', environment: 'Staging' })
      .then((p) => deploys.admit(actor, p));
    expect(deployment).toMatchObject({
      environment: 'staging',
      ref: 'main',
      sha: SHA,
      status: 'dispatching',
    });
    expect(deployment.id).toMatch(/^d-[0-9a-f]{6}$/);
    expect(calls).toEqual(['insert dispatching main', 'changed']);
  });

  it('marks protected environments for the approval flow, inserting nothing', async () => {
    const { deploys, calls } = harness();
    const prepared = await deploys.prepare(actor, { service: 'api', environment: 'prod' });
    expect(prepared).toMatchObject({ environment: 'prod', sha: SHA, protected: true });
    expect(calls).toEqual([]);
  });

  it('says how long the cooldown lasts, and inserts nothing', async () => {
    const { deploys, calls } = harness({ cooldownUntil: new Date(Date.now() - 15_000) });
    await expect(
      deploys
        .prepare(actor, { service: 'api', environment: 'staging' })
        .then((p) => deploys.admit(actor, p)),
    ).rejects.toThrow(/you can deploy again in (45|46) s/);
    expect(calls).toEqual([]);
  });

  it('gives the cooldown back when the lock or the cap refuses after it was taken', async () => {
    const locked = harness({ insert: [{ inserted: false, reason: 'cap' }] });
    await expect(
      locked.deploys
        .prepare(actor, { service: 'api', environment: 'staging' })
        .then((p) => locked.deploys.admit(actor, p)),
    ).rejects.toThrow(/already in flight, the most allowed at once/);
    expect(locked.released).toEqual(['cooldown']);
  });

  it('tries another id when one collides', async () => {
    const { deploys, calls } = harness({
      insert: [{ inserted: false, reason: 'id' }, { inserted: true }],
    });
    await deploys
      .prepare(actor, { service: 'api', environment: 'staging' })
      .then((p) => deploys.admit(actor, p));
    expect(calls.filter((call) => call.startsWith('insert'))).toHaveLength(2);
  });
});

describe('dispatchRefFor', () => {
  it('dispatches branches and tags on themselves, SHAs on the default branch', () => {
    expect(dispatchRefFor('release/1.2', SHA, service)).toBe('release/1.2');
    expect(dispatchRefFor('v1.2.0', SHA, service)).toBe('v1.2.0');
    expect(dispatchRefFor(SHA, SHA, service)).toBe('main');
    expect(dispatchRefFor(SHA.slice(0, 9), SHA, service)).toBe('main');
    // A branch that merely looks like hex but is not the commit's prefix stays a branch.
    expect(dispatchRefFor('deadbeef', SHA, service)).toBe('deadbeef');
  });
});
