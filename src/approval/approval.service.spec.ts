import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { testMetrics } from '../../test/support/metrics';
import { strictFake } from '../../test/support/strict-fake';
import { AccessService } from '../access/access.service';
import { AdmissionGuards } from '../admission/admission.guards';
import { Deployment } from '../deployments/deployment';
import { ApprovalOutcome } from '../deployments/deployment-claims.repository';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GithubClient } from '../github/github.client';
import { DISPATCH_LEASE_MS } from '../deployments/deadlines';
import { LaunchChecks, Refusal } from '../dispatch/launch-checks';
import { ApprovalService } from './approval.service';

const NOW = new Date();
const admin = { id: '7', name: 'alice', guildId: '1', roleIds: [], guildAdministrator: false };
const requester = { id: '42', name: 'dana' };

function aRequest(overrides: Partial<Deployment> = {}): Deployment {
  return aDeployment({
    environment: 'prod',
    status: 'pending_approval',
    requester,
    approval: { required: 1, approvals: [], expiresAt: new Date(NOW.getTime() + 60_000) },
    ...overrides,
  });
}

/**
 * The approval rules against strict fakes: the kernel's answers are scripted (`outcomes`, one
 * per attempt) and every request it gets is recorded.
 */
function approvals(options: {
  stored: Deployment[];
  admin?: boolean;
  outcomes?: Array<ApprovalOutcome | (ApprovalOutcome & { leaseOwner: string })>;
  refusal?: Refusal;
  env?: Record<string, string>;
}) {
  const calls: string[] = [];
  const decisions: unknown[] = [];
  const moves: Array<{ to: string; options: unknown }> = [];
  const stored = [...options.stored];
  const outcomes = [...(options.outcomes ?? [])];
  const { metrics, registry } = testMetrics();
  const service = new ApprovalService(
    testConfig(options.env),
    strictFake<AccessService>('access', { isAdmin: async () => options.admin ?? true }, calls),
    strictFake<DeploymentTransitions>(
      'transitions',
      {
        recordApproval: async (_id: string, _by: unknown, seen: number, decision: unknown) => {
          decisions.push({ seen, decision });
          return outcomes.shift()!;
        },
        move: async (_id: string, to: string, moveOptions: unknown) => {
          moves.push({ to, options: moveOptions });
          return { ...stored[0], status: to };
        },
      },
      calls,
    ),
    strictFake<DeploymentHistory>(
      'history',
      { findById: async () => (stored.length > 1 ? stored.shift()! : stored[0]) },
      calls,
    ),
    strictFake<AdmissionGuards>(
      'admission',
      { refusal: async (reason: string) => new Error(`refused: ${reason}`) },
      calls,
    ),
    strictFake<LaunchChecks>('checks', { refusal: async () => options.refusal }, calls),
    strictFake<GithubClient>('github'),
    metrics,
    new ManualClock(NOW),
    strictFake<ServiceRegistryService>('registry'),
  );
  const refused = async () =>
    (await registry.getSingleMetric('chatops_approvals_total')!.get()).values.find(
      (value) => value.labels.outcome === 'refused',
    )?.value ?? 0;
  return { service, calls, decisions, moves, refused };
}

describe('ApprovalService.approve', () => {
  it('records a deciding approval that takes the target and a slot, and dispatches nothing itself', async () => {
    const request = aRequest();
    const approved = { ...request, status: 'approved' as const };
    const { service, decisions, calls } = approvals({
      stored: [request],
      outcomes: [{ outcome: 'approved', deployment: approved, leaseOwner: 'host-1-ab#3' }],
    });
    expect(await service.approve(admin, request.id)).toEqual({
      kind: 'approved',
      deployment: approved,
      leaseOwner: 'host-1-ab#3',
    });
    expect(decisions).toEqual([
      { seen: 0, decision: { maxConcurrent: 3, leaseMs: DISPATCH_LEASE_MS } },
    ]);
    expect(calls).toContain('checks.refusal');
  });

  it('records an approval that does not decide yet without any decision', async () => {
    const request = aRequest({
      approval: { required: 2, approvals: [], expiresAt: new Date(NOW.getTime() + 60_000) },
    });
    const { service, decisions, calls } = approvals({
      stored: [request],
      outcomes: [{ outcome: 'recorded', deployment: request }],
    });
    expect((await service.approve(admin, request.id)).kind).toBe('changed');
    expect(decisions).toEqual([{ seen: 0, decision: null }]);
    expect(calls).not.toContain('checks.refusal');
  });

  it('reads the request again after a race and counts what it finds', async () => {
    const request = aRequest({
      approval: { required: 2, approvals: [], expiresAt: new Date(NOW.getTime() + 60_000) },
    });
    const meanwhile = aRequest({
      id: request.id,
      approval: {
        required: 2,
        approvals: [{ id: '8', name: 'bob', at: NOW }],
        expiresAt: new Date(NOW.getTime() + 60_000),
      },
    });
    const { service, decisions } = approvals({
      stored: [request, meanwhile],
      outcomes: [{ outcome: 'raced' }, { outcome: 'approved', deployment: meanwhile }],
    });
    expect((await service.approve(admin, request.id)).kind).toBe('approved');
    expect(decisions.map((d) => (d as { seen: number }).seen)).toEqual([0, 1]);
  });

  it('refuses anyone who is not an admin of the environment, and counts the refusal', async () => {
    const request = aRequest();
    const { service, calls, refused } = approvals({ stored: [request], admin: false });
    await expect(service.approve(admin, request.id)).rejects.toThrow(
      'Only admins for prod can approve this deployment.',
    );
    expect(calls).not.toContain('transitions.recordApproval');
    expect(await refused()).toBe(1);
  });

  it('refuses the requester when a second approver is required', async () => {
    const request = aRequest({ requester: { id: admin.id, name: admin.name } });
    const { service } = approvals({
      stored: [request],
      env: { REQUIRE_SECOND_APPROVER: 'true' },
    });
    await expect(service.approve(admin, request.id)).rejects.toThrow(
      'You asked for this deployment: another admin has to approve it.',
    );
  });

  it('says so to an admin who has approved already', async () => {
    const request = aRequest({
      approval: {
        required: 2,
        approvals: [{ id: admin.id, name: admin.name, at: NOW }],
        expiresAt: new Date(NOW.getTime() + 60_000),
      },
    });
    const { service, calls } = approvals({ stored: [request] });
    expect((await service.approve(admin, request.id)).kind).toBe('approved-already');
    expect(calls).not.toContain('transitions.recordApproval');
  });

  it.each([
    ['locked', 'busy'],
    ['cap', 'cap'],
  ] as const)('leaves the request pending when the kernel says %s', async (outcome, reason) => {
    const request = aRequest();
    const { service, refused } = approvals({ stored: [request], outcomes: [{ outcome }] });
    await expect(service.approve(admin, request.id)).rejects.toThrow(`refused: ${reason}`);
    expect(await refused()).toBe(1);
  });

  it('refuses the deciding approval on a target an admin locked; the request stays pending', async () => {
    const request = aRequest();
    const { service, calls, moves } = approvals({
      stored: [request],
      refusal: { rule: 'lock', code: 'DEPLOY.TARGET_LOCKED', message: 'api → prod is locked.' },
    });
    await expect(service.approve(admin, request.id)).rejects.toThrow(
      'api → prod is locked. The request stays pending until it expires.',
    );
    expect(calls).not.toContain('transitions.recordApproval');
    expect(moves).toEqual([]);
  });

  it('stops the request at the CI gate when CI turned red since it was made', async () => {
    const request = aRequest();
    const red = {
      mode: 'all' as const,
      verdict: 'failed' as const,
      total: 1,
      pending: 0,
      checks: [{ name: 'build', state: 'failed' as const, detail: 'failure' }],
      checkedAt: NOW,
      waitUntil: NOW,
    };
    const { service, calls, moves } = approvals({
      stored: [request],
      refusal: { rule: 'ci', code: 'DEPLOY.CI_FAILED', message: 'CI no longer passes', gate: red },
    });
    const answer = await service.approve(admin, request.id);
    expect(answer).toMatchObject({ kind: 'changed', deployment: { status: 'checks_failed' } });
    expect(moves).toEqual([
      {
        to: 'checks_failed',
        options: {
          from: ['pending_approval'],
          // Open for an override as long as a request at the gate would be.
          set: { gate: { ...red, waitUntil: new Date(NOW.getTime() + 1_800_000) } },
          note: 'CI no longer passes',
        },
      },
    ]);
    expect(calls).not.toContain('transitions.recordApproval');
  });

  it('does not let the admin who deployed anyway give the only approval', async () => {
    const overridden = aRequest({
      gate: {
        mode: 'all',
        verdict: 'failed',
        total: 1,
        pending: 0,
        checks: [],
        checkedAt: NOW,
        waitUntil: NOW,
        override: { by: { id: admin.id, name: admin.name }, at: NOW, reason: 'hotfix', checks: [] },
      },
    });
    const { service, calls, refused } = approvals({ stored: [overridden] });
    await expect(service.approve(admin, overridden.id)).rejects.toThrow(
      'You deployed this past the CI gate: another admin has to approve it.',
    );
    expect(calls).not.toContain('transitions.recordApproval');
    expect(await refused()).toBe(1);
  });

  describe('with an admin\'s "Deploy anyway" through a freeze or a closed window', () => {
    const bob = { id: '8', name: 'bob' };
    const gateOverrideBy = (by: { id: string; name: string }) => ({
      mode: 'all' as const,
      verdict: 'failed' as const,
      total: 1,
      pending: 0,
      checks: [],
      checkedAt: NOW,
      waitUntil: NOW,
      override: { by, at: NOW, reason: 'hotfix', checks: [] },
    });
    const scheduleOverrideBy = (by: { id: string; name: string }) => ({
      by,
      at: NOW,
      reason: 'the outage fix cannot wait',
      closure: 'frozen',
      rule: 'freeze' as const,
    });

    it('does not let the admin who overrode the schedule give the only approval', async () => {
      const overridden = aRequest({ scheduleOverride: scheduleOverrideBy(admin) });
      const { service, calls } = approvals({ stored: [overridden] });
      await expect(service.approve(admin, overridden.id)).rejects.toThrow(
        'You sent this through a freeze or a closed deploy window: another admin has to approve it.',
      );
      expect(calls).not.toContain('transitions.recordApproval');
    });

    it("counts an admin who overrode the CI gate after a schedule override as that override's second admin, never the other way round", async () => {
      // alice sent it through the freeze; bob, who saw that, then pushed it past the CI gate.
      const overridden = aRequest({
        scheduleOverride: { ...scheduleOverrideBy(admin), at: new Date(NOW.getTime() - 60_000) },
        gate: gateOverrideBy(bob),
      });
      const approved = { ...overridden, status: 'approved' as const };
      // bob alone: alice's override has its second admin (bob), bob's own has none.
      const alone = approvals({ stored: [overridden] });
      await expect(alone.service.approve({ ...admin, ...bob }, overridden.id)).rejects.toThrow(
        'You deployed this past the CI gate: another admin has to approve it.',
      );
      // alice approving: bob signed off on hers, she on his.
      const { service, calls } = approvals({
        stored: [overridden],
        outcomes: [{ outcome: 'approved', deployment: approved, leaseOwner: 'host-1-ab#3' }],
      });
      expect((await service.approve(admin, overridden.id)).kind).toBe('approved');
      expect(calls).toContain('transitions.recordApproval');
    });

    it('still needs a second admin when one admin made both overrides', async () => {
      const overridden = aRequest({
        scheduleOverride: scheduleOverrideBy(admin),
        gate: gateOverrideBy(admin),
      });
      const { service } = approvals({ stored: [overridden] });
      await expect(service.approve(admin, overridden.id)).rejects.toThrow(/another admin/);
    });
  });

  it('expires a request past its time instead of approving it, whatever the sweeper did', async () => {
    const request = aRequest({
      approval: { required: 1, approvals: [], expiresAt: new Date(NOW.getTime() - 1) },
    });
    const { service, calls } = approvals({ stored: [request] });
    expect((await service.approve(admin, request.id)).kind).toBe('decided');
    expect(calls).toContain('transitions.move');
    expect(calls).not.toContain('transitions.recordApproval');
  });

  it('answers a request decided already with what happened', async () => {
    const request = aRequest({ status: 'rejected' });
    const { service, calls } = approvals({ stored: [request] });
    expect(await service.approve(admin, request.id)).toEqual({
      kind: 'decided',
      deployment: request,
    });
    expect(calls).toEqual(['history.findById']);
  });
});

describe('ApprovalService.cancel', () => {
  it('lets the requester cancel while it has not expired', async () => {
    const request = aRequest();
    const { service, calls } = approvals({ stored: [request], admin: false });
    const answer = await service.cancel({ ...admin, ...requester }, request.id);
    expect(answer).toMatchObject({ kind: 'changed', deployment: { status: 'rejected' } });
    expect(calls).not.toContain('access.isAdmin');
  });

  it('refuses anyone else who is not an admin there', async () => {
    const request = aRequest();
    const { service, refused } = approvals({ stored: [request], admin: false });
    await expect(service.cancel(admin, request.id)).rejects.toThrow(
      'Only the requester or an admin for prod can cancel this request.',
    );
    expect(await refused()).toBe(1);
  });
});
