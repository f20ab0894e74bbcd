import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { aDeployment, aService } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import type { AppConfig } from '../config/app-config';
import type { DeploymentLauncher } from '../deploy/deployment-launcher';
import type { AutomaticRollback, Deployment } from '../deployments/deployment';
import type { DeploymentHistory } from '../deployments/deployment-history.repository';
import type { DeploymentVerifications } from '../deployments/deployment-verifications.service';
import type { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import type { ServiceRegistryService } from '../service-registry/service-registry.service';
import type { TargetLocksService } from '../target-locks/target-locks.service';
import type { TargetLock } from '../target-locks/target-lock.repository';
import type { AuditEntry } from '../audit/audit-entry';
import type { AuditRepository } from '../audit/audit.repository';
import { AutomaticRollbacks } from './automatic-rollbacks.service';

const PLAN = {
  url: 'https://api.example.com/health',
  expectStatus: 200,
  soakMs: 600_000,
  intervalMs: 30_000,
  failuresToFail: 3,
  autoRollback: true,
  onRunFailure: false,
};

function failedDeployment(overrides: Partial<Deployment> = {}, attempts = 1): Deployment {
  return aDeployment({
    id: 'd-fa11ed',
    status: 'success',
    channelId: '100000000000000009',
    verification: {
      plan: PLAN,
      state: 'failed',
      probes: 3,
      failuresInRow: 3,
      reason: '3 failed probes in a row',
      rollback: { state: 'due', reason: '3 failed probes in a row', attempts },
    },
    ...overrides,
  });
}

/**
 * What the automatic rollback does with one failure due, with strict fakes: every call it makes
 * is recorded, and what it settles is kept.
 */
function rollbacks(
  failed: Deployment,
  world: {
    lock?: TargetLock | null;
    newer?: Deployment | null;
    verified?: Deployment | null;
    existing?: Deployment | null;
    launched?: Partial<Deployment>;
  } = {},
) {
  const calls: string[] = [];
  const settled: AutomaticRollback[] = [];
  const holds: string[] = [];
  const audited: AuditEntry[] = [];
  let claimed = false;
  const service = new AutomaticRollbacks(
    { discord: {} } as unknown as AppConfig,
    strictFake<DeploymentVerifications>(
      'verifications',
      {
        claimRollback: async () => (claimed ? null : ((claimed = true), failed)),
        settleRollback: async (_id: string, _owner: string, rollback: AutomaticRollback) => {
          settled.push(rollback);
          return failed;
        },
      },
      calls,
    ),
    strictFake<VerifiedDeployments>(
      'verified',
      {
        findAutomaticRollbackOf: async () => world.existing ?? null,
        findLastVerified: async () => world.verified ?? null,
      },
      calls,
    ),
    strictFake<DeploymentHistory>(
      'history',
      { findDispatchedSince: async () => world.newer ?? null },
      calls,
    ),
    strictFake<ServiceRegistryService>('registry', { get: async () => aService() }, calls),
    strictFake<TargetLocksService>(
      'locks',
      {
        find: async () => world.lock ?? null,
        hold: async (_s: string, _e: string, reason: string) => void holds.push(reason),
      },
      calls,
    ),
    strictFake<DeploymentLauncher>(
      'launcher',
      {
        launch: async (request: { protected: boolean; draft: Deployment }) => {
          expect(request.protected).toBe(false);
          expect(request.draft.rollback).toMatchObject({ of: failed.id, automatic: true });
          return aDeployment({ id: 'd-r011ba', status: 'dispatched', ...world.launched });
        },
      },
      calls,
    ),
    new Instance('test-instance'),
    new ManualClock(new Date('2026-12-06T10:00:00Z')),
    strictFake<AuditRepository>('audit', {
      record: async (entry: AuditEntry) => void audited.push(entry),
    }),
  );
  return { service, calls, settled, holds, audited };
}

describe('AutomaticRollbacks', () => {
  const verified = aDeployment({ id: 'd-900d00', sha: 'b'.repeat(40) });

  it('rolls back to the newest verified deployment without approval, then holds the target', async () => {
    const { service, calls, settled, holds, audited } = rollbacks(failedDeployment(), { verified });
    await service.work();
    expect(calls.indexOf('launcher.launch')).toBeLessThan(calls.indexOf('locks.hold'));
    expect(audited).toEqual([
      expect.objectContaining({
        command: 'automatic rollback',
        actor: { id: 'bot:automatic', name: 'the deploy bot (automatic)' },
        options: expect.objectContaining({
          failed: 'd-fa11ed',
          rollback: 'd-r011ba',
          outcome: 'started',
        }),
        outcome: 'ok',
      }),
    ]);
    expect(holds).toEqual([
      'held after the automatic rollback of d-fa11ed: 3 failed probes in a row',
    ]);
    expect(settled).toEqual([
      expect.objectContaining({ state: 'started', deploymentId: 'd-r011ba' }),
    ]);
  });

  it('holds the target and tells why when nothing verified is there to go back to', async () => {
    const { service, calls, settled, holds } = rollbacks(failedDeployment());
    await service.work();
    expect(calls).not.toContain('launcher.launch');
    expect(holds[0]).toContain('no verified deployment to roll back to');
    expect(settled[0]).toMatchObject({ state: 'held' });
  });

  it('never rolls back a rollback', async () => {
    const failed = failedDeployment({ rollback: { of: 'd-000001', ofSha: 'a', to: 'd-000002' } });
    const { service, calls, settled } = rollbacks(failed, { verified });
    await service.work();
    expect(calls).not.toContain('launcher.launch');
    expect(settled[0]!.reason).toContain('a rollback is never rolled back automatically');
  });

  it("leaves an admin's lock alone and dispatches nothing", async () => {
    const lock = {
      service: 'api',
      environment: 'staging',
      reason: 'incident',
      by: { id: '1', name: 'alice' },
      at: new Date(),
    };
    const { service, calls, settled, holds } = rollbacks(failedDeployment(), { lock, verified });
    await service.work();
    expect(calls).not.toContain('launcher.launch');
    expect(holds).toEqual([]);
    expect(settled[0]!.reason).toContain('is locked by alice (incident)');
  });

  it('skips the rollback when a newer deployment went to the target meanwhile', async () => {
    const newer = aDeployment({ id: 'd-7e3e70' });
    const { service, settled, holds } = rollbacks(failedDeployment(), { newer, verified });
    await service.work();
    expect(holds).toEqual([]);
    expect(settled[0]).toMatchObject({ state: 'skipped' });
  });

  it('holds, rather than reports rolled back, when GitHub refused the rollback', async () => {
    const { service, settled, holds } = rollbacks(failedDeployment(), {
      verified,
      launched: { status: 'dispatch_failed', failureReason: 'No ref found for: main' },
    });
    await service.work();
    expect(settled[0]).toMatchObject({ state: 'held', deploymentId: 'd-r011ba' });
    expect(holds[0]).toContain('was not dispatched (No ref found for: main)');
  });

  it('holds after too many tries, and finds a rollback an earlier try started', async () => {
    const tired = rollbacks(failedDeployment({}, 6), { verified });
    await tired.service.work();
    expect(tired.calls).not.toContain('launcher.launch');
    expect(tired.settled[0]!.reason).toContain('could not be started after 5 tries');

    const existing = aDeployment({
      id: 'd-f1r5t0',
      rollback: { of: 'd-fa11ed', ofSha: 'a', to: 'd-900d00', automatic: true },
    });
    const again = rollbacks(failedDeployment({}, 2), { verified, existing });
    await again.service.work();
    expect(again.calls).not.toContain('launcher.launch');
    expect(again.settled[0]).toMatchObject({ state: 'started', deploymentId: 'd-f1r5t0' });
  });
});
