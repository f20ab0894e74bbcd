import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { ManualClock } from '../../libs/clock';
import { aDeployment, aService } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { AccessService } from '../access/access.service';
import { AdmissionGuards } from '../admission/admission.guards';
import { CooldownRepository } from '../admission/cooldown.repository';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { CiChecks } from '../ci-checks/ci-checks.service';
import { LaunchChecks } from '../dispatch/launch-checks';
import { GithubClient } from '../github/github.client';
import { DeployService } from './deploy.service';
import { RefResolver } from './ref-resolver';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const service = aService({ idInput: 'deployment_id' });
const actor = { id: '42', name: 'dana', guildId: '1', roleIds: [], guildAdministrator: false };

function harness(
  opts: {
    busy?: Deployment;
    cooldownFor?: number;
    resolveFails?: boolean;
    service?: Service;
    succeededOn?: string[];
  } = {},
) {
  const calls: string[] = [];
  // A fixed moment: the cooldown's time left is computed from it, not from a clock that moves.
  const clock = new ManualClock(new Date('2026-12-06T12:00:00Z'));
  const history = strictFake<DeploymentHistory>(
    'history',
    {
      findInFlightForTarget: async () => opts.busy ?? null,
      hasSucceeded: async (_s: string, env: string, sha: string) => {
        calls.push(`succeeded on ${env}?`);
        return sha === SHA && (opts.succeededOn ?? []).includes(env);
      },
    },
    calls,
  );
  const cooldowns = strictFake<CooldownRepository>(
    'cooldowns',
    {
      claim: async () =>
        opts.cooldownFor
          ? { claimed: false, lastAcceptedAt: new Date(clock.now().getTime() - opts.cooldownFor) }
          : { claimed: true, release: async () => void calls.push('cooldown released') },
    },
    calls,
  );
  const config = testConfig({ DEPLOY_COOLDOWN_MS: '60000' });
  const deploys = new DeployService(
    strictFake<AccessService>('access', { requireDeployer: async () => undefined }, calls),
    strictFake<ServiceRegistryService>(
      'registry',
      { getForEnvironment: async () => opts.service ?? service },
      calls,
    ),
    new AdmissionGuards(config, history, cooldowns, clock),
    strictFake<TargetLocksService>('locks', { refuseLocked: async () => undefined }, calls),
    strictFake<TargetSchedule>('schedule', { refuseClosed: async () => undefined }, calls),
    strictFake<RefResolver>(
      'refs',
      {
        resolve: async (_s: Service, _e: string, ref: string) => {
          if (opts.resolveFails) throw new Error('no such ref');
          return { ref, kind: 'branch', sha: SHA, allowedBy: 'branch:main' };
        },
      },
      calls,
    ),
    // The promotion order is LaunchChecks' rule, read from the history.
    new LaunchChecks(
      strictFake<ServiceRegistryService>('registry'),
      history,
      strictFake<VerifiedDeployments>('verified'),
      strictFake<TargetLocksService>('locks'),
      strictFake<TargetSchedule>('schedule'),
      strictFake<CiChecks>('ci'),
      strictFake<GithubClient>('github'),
      clock,
    ),
  );
  return { deploys, calls };
}

describe('DeployService.prepare', () => {
  it('checks rights, the lock, the freeze and windows, the busy target and the cooldown before GitHub is asked anything', async () => {
    const { deploys, calls } = harness();
    await deploys.prepare(actor, { service: 'api', environment: 'staging', ref: 'release/2' });
    expect(calls).toEqual([
      'registry.getForEnvironment',
      'access.requireDeployer',
      'locks.refuseLocked',
      'schedule.refuseClosed',
      'history.findInFlightForTarget',
      'cooldowns.claim',
      'refs.resolve',
    ]);
  });

  it('drafts the deployment: the commit as an input, the workflow from the default branch', async () => {
    const { deploys } = harness();
    const request = await deploys.prepare(actor, {
      service: 'api',
      environment: 'Staging',
      ref: 'release/2',
    });
    expect(request.protected).toBe(false);
    expect(request.draft).toEqual({
      service: 'api',
      environment: 'staging',
      ref: 'release/2',
      sha: SHA,
      requester: { id: '42', name: 'dana' },
      workflow: {
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        defaultBranch: 'main',
        environmentInput: 'environment',
        shaInput: 'sha',
        idInput: 'deployment_id',
      },
      // Recorded on GitHub's Deployments API (the default), not as production.
      githubDeployment: { production: false },
    });
  });

  it('sends protected environments to the approval flow', async () => {
    const { deploys } = harness();
    const request = await deploys.prepare(actor, { service: 'api', environment: 'prod' });
    expect(request).toMatchObject({ protected: true, draft: { environment: 'prod', sha: SHA } });
  });

  it('refuses a busy target before taking the cooldown', async () => {
    const busy = aDeployment({ id: 'd-0000aa', status: 'in_progress' });
    const { deploys, calls } = harness({ busy });
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging' }),
    ).rejects.toThrow(
      /api → staging already has deployment d-0000aa in progress, requested by dana/,
    );
    expect(calls).not.toContain('cooldowns.claim');
  });

  it('says how long the cooldown lasts, and asks GitHub nothing', async () => {
    const { deploys, calls } = harness({ cooldownFor: 15_000 });
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging' }),
    ).rejects.toThrow('you can deploy again in 45 s');
    expect(calls).not.toContain('refs.resolve');
  });

  it('gives the cooldown back when the ref is refused', async () => {
    const { deploys, calls } = harness({ resolveFails: true });
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging', ref: 'nope' }),
    ).rejects.toThrow('no such ref');
    expect(calls.at(-1)).toBe('cooldown released');
  });

  it('refuses a malformed ref before anything is taken', async () => {
    const { deploys, calls } = harness();
    await expect(
      deploys.prepare(actor, { service: 'api', environment: 'staging', ref: 'a..b' }),
    ).rejects.toThrow('Invalid ref');
    expect(calls).not.toContain('cooldowns.claim');
  });

  describe('the promotion order', () => {
    const promoted = aService({
      idInput: 'deployment_id',
      environments: ['staging', 'prod'],
      targets: { prod: { promoteFrom: 'staging' } },
    });

    it('refuses a commit that has not succeeded where it must go first, and gives the cooldown back', async () => {
      const { deploys, calls } = harness({ service: promoted, succeededOn: [] });
      await expect(deploys.prepare(actor, { service: 'api', environment: 'prod' })).rejects.toThrow(
        '`a1b2c3d` has not been deployed successfully to staging yet: deploy it there first (prod takes only what succeeded on staging).',
      );
      expect(calls).toContain('succeeded on staging?');
      expect(calls.at(-1)).toBe('cooldown released');
    });

    it('takes a commit that succeeded there, and asks nothing of a target without an order', async () => {
      const { deploys, calls } = harness({ service: promoted, succeededOn: ['staging'] });
      await expect(
        deploys.prepare(actor, { service: 'api', environment: 'prod' }),
      ).resolves.toMatchObject({ draft: { environment: 'prod', sha: SHA } });
      await deploys.prepare(actor, { service: 'api', environment: 'staging' });
      expect(calls.filter((call) => call.startsWith('succeeded on'))).toEqual([
        'succeeded on staging?',
      ]);
    });
  });
});
