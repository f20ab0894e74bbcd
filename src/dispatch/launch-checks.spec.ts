import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { ManualClock } from '../../libs/clock';
import { aDeployment, aService } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import { CiChecks } from '../ci-checks/ci-checks.service';
import { Deployment, GateRecord } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { LaunchChecks } from './launch-checks';

const NOW = new Date('2026-12-05T10:00:00Z');
const SHA = 'c'.repeat(40);

function gated(overrides: Partial<GateRecord> = {}): GateRecord {
  return {
    mode: 'all',
    verdict: 'passed',
    total: 1,
    pending: 0,
    checks: [],
    checkedAt: NOW,
    waitUntil: new Date(NOW.getTime() + 30 * 60_000),
    ...overrides,
  };
}

/** A prod deployment (prod takes only what succeeded on staging) that passed CI when asked. */
function toProd(overrides: Partial<Deployment> = {}): Deployment {
  return aDeployment({
    environment: 'prod',
    sha: SHA,
    status: 'approved',
    dispatchRef: 'main',
    gate: gated(),
    source: { owner: 'acme', repo: 'api', workflow: 'deploy.yml', inputs: {} },
    ...overrides,
  });
}

/**
 * The checks with what is true now: `succeededOnStaging` (the promotion order) and what CI says
 * when read again. Every read they make is recorded, with the age of CI read each time accepted.
 */
function launchChecks(now: { succeededOnStaging: boolean; ci: GateRecord['verdict'] }) {
  const calls: string[] = [];
  const ciAges: number[] = [];
  const checks = new LaunchChecks(
    strictFake<ServiceRegistryService>('registry', {
      get: async () => aService({ targets: { prod: { promoteFrom: 'staging' } } }),
    }),
    strictFake<DeploymentHistory>(
      'history',
      { hasSucceeded: async () => now.succeededOnStaging },
      calls,
    ),
    strictFake<VerifiedDeployments>('verified'),
    strictFake<TargetLocksService>('locks', { refuseLocked: async () => undefined }),
    strictFake<TargetSchedule>('schedule', { closure: async () => undefined }),
    strictFake<CiChecks>(
      'ci',
      {
        judge: async (_commit: unknown, _gate: unknown, _timing: unknown, maxAgeMs: number) => {
          ciAges.push(maxAgeMs);
          return gated({
            verdict: now.ci,
            pending: now.ci === 'pending' ? 1 : 0,
            checks: [
              {
                name: 'build',
                state: now.ci === 'failed' ? 'failed' : now.ci === 'pending' ? 'pending' : 'passed',
                detail: now.ci === 'failed' ? 'failure' : 'success',
              },
            ],
            ...(now.ci === 'unknown' ? { reason: 'GitHub answered 502' } : {}),
          });
        },
      },
      calls,
    ),
    strictFake<GithubClient>(
      'github',
      { getBranchInfo: async () => ({ name: 'main', protected: true }) },
      calls,
    ),
    new ManualClock(NOW),
  );
  return { checks, calls, ciAges };
}

describe('LaunchChecks: what must still hold when a deployment goes', () => {
  it.each(['approval', 'dispatch'] as const)(
    'refuses at the %s a commit that no longer succeeded where it is promoted from',
    async (moment) => {
      const { checks } = launchChecks({ succeededOnStaging: false, ci: 'passed' });
      const refusal = await checks.refusal(toProd(), moment);
      expect(refusal).toMatchObject({ rule: 'promotion', code: 'DEPLOY.PROMOTE_FIRST' });
      expect(refusal?.message).toContain('staging');
    },
  );

  it('refuses right before the send a commit whose CI turned red, reading CI at most 15 s old', async () => {
    const { checks, ciAges, calls } = launchChecks({ succeededOnStaging: true, ci: 'failed' });
    const refusal = await checks.refusal(toProd(), 'dispatch');
    expect(refusal).toMatchObject({ rule: 'ci', code: 'DEPLOY.CI_FAILED' });
    expect(refusal?.message).toBe('CI no longer passes on `ccccccc`: build (failure).');
    expect(refusal?.gate?.verdict).toBe('failed');
    expect(ciAges).toEqual([15_000]);
    // Nothing about the branch is asked once CI refuses.
    expect(calls).not.toContain('github.getBranchInfo');
  });

  it('fails closed at the approval when CI can no longer be read, reading CI at most 5 s old', async () => {
    const { checks, ciAges } = launchChecks({ succeededOnStaging: true, ci: 'unknown' });
    const refusal = await checks.refusal(toProd(), 'approval');
    expect(refusal?.message).toBe(
      'CI can no longer be read on `ccccccc` (GitHub answered 502): the gate fails closed.',
    );
    expect(ciAges).toEqual([5_000]);
  });

  it('lets a commit whose CI is running again go: it passed, and a re-run does not take that back', async () => {
    const { checks, calls } = launchChecks({ succeededOnStaging: true, ci: 'pending' });
    expect(await checks.refusal(toProd(), 'dispatch')).toBeUndefined();
    expect(calls).toEqual(['history.hasSucceeded', 'ci.judge', 'github.getBranchInfo']);
  });

  it('does not judge CI again for a request an admin deployed anyway, nor for a rollback', async () => {
    const overridden = toProd({
      gate: gated({
        verdict: 'failed',
        override: { by: { id: '1', name: 'alice' }, at: NOW, reason: 'hotfix', checks: [] },
      }),
    });
    const red = launchChecks({ succeededOnStaging: true, ci: 'failed' });
    expect(await red.checks.refusal(overridden, 'dispatch')).toBeUndefined();
    expect(red.calls).not.toContain('ci.judge');

    const rollback = launchChecks({ succeededOnStaging: false, ci: 'failed' });
    expect(
      await rollback.checks.refusal(
        toProd({ rollback: { of: 'd-000001', ofSha: 'b'.repeat(40), to: SHA } }),
        'dispatch',
      ),
    ).toBeUndefined();
    expect(rollback.calls).toEqual(['github.getBranchInfo']);
  });
});
