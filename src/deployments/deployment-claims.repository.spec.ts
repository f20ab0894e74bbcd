import type { Connection, Model } from 'mongoose';
import { aDeployment } from '../../test/support/factories';
import { kernelDatabase } from '../../test/support/kernel';
import { Deployment } from './deployment';
import { DeploymentClaims } from './deployment-claims.repository';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';

const NOW = new Date();
const decision = { maxConcurrent: 3, tracking: { leaseUntil: NOW, nextCheckAt: NOW } };
const approver = (id: string) => ({ id, name: `admin-${id}`, at: NOW });

/** The claims one caller wins however many try at once, raced on the real engine. */
describe('DeploymentClaims on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let claims: DeploymentClaims;
  let repository: DeploymentRepository;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_claims'));
    claims = new DeploymentClaims(model);
    repository = new DeploymentRepository(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  async function aRequest(required = 1, overrides: Partial<Deployment> = {}) {
    const request = aDeployment({
      status: 'pending_approval',
      approval: { required, approvals: [], expiresAt: new Date(NOW.getTime() + 60_000) },
      ...overrides,
    });
    await repository.insertPending(request);
    return request;
  }

  it('lets exactly one of two deciding approvals approve; the other must read again', async () => {
    const request = await aRequest();
    const outcomes = await Promise.all([
      claims.recordApproval(request.id, approver('1'), 0, decision),
      claims.recordApproval(request.id, approver('2'), 0, decision),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['approved', 'raced']);
    const approved = outcomes.find((o) => o.outcome === 'approved')!;
    const stored = (await model.findById(request.id).lean<Deployment>())!;
    // The approver listed and the decider recorded are the same person.
    expect(stored.approval!.approvals.map((a) => a.id)).toEqual([
      (approved as { deployment: Deployment }).deployment.approval!.decidedBy!.id,
    ]);
    expect((await model.findById(request.id).lean())!.busyTarget).toBe(
      `${request.service}:${request.environment}`,
    );
  });

  it('counts one of two approvals that expect the same approvals seen', async () => {
    const request = await aRequest(3);
    const outcomes = await Promise.all([
      claims.recordApproval(request.id, approver('1'), 0, null),
      claims.recordApproval(request.id, approver('2'), 0, null),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['raced', 'recorded']);
    expect((await model.findById(request.id).lean<Deployment>())!.approval!.approvals).toHaveLength(
      1,
    );
  });

  it('records nothing on a request past its expiry', async () => {
    const request = await aRequest(1, {
      approval: { required: 1, approvals: [], expiresAt: new Date(NOW.getTime() - 1) },
    });
    expect(await claims.recordApproval(request.id, approver('1'), 0, decision)).toEqual({
      outcome: 'raced',
    });
  });

  it('leaves the request pending when its target is busy or every slot is taken', async () => {
    const request = await aRequest();
    const holder = aDeployment({
      status: 'dispatched',
      service: request.service,
      environment: request.environment,
    });
    await repository.insertInFlight(holder, 3, decision.tracking);
    expect(await claims.recordApproval(request.id, approver('1'), 0, decision)).toEqual({
      outcome: 'locked',
    });
    await repository.transition(holder.id, 'success', { at: NOW });
    await repository.insertInFlight(aDeployment({ service: 'other' }), 1, decision.tracking);
    expect(
      await claims.recordApproval(request.id, approver('1'), 0, { ...decision, maxConcurrent: 1 }),
    ).toEqual({ outcome: 'cap' });
    expect((await model.findById(request.id).lean())!.status).toBe('pending_approval');
  });

  it('gives a run to one deployment only, and a deployment one run', async () => {
    const [a, b] = [aDeployment({ service: 'a' }), aDeployment({ service: 'b' })];
    await repository.insertInFlight(a, 3, decision.tracking);
    await repository.insertInFlight(b, 3, decision.tracking);
    const linked = await Promise.all([
      claims.claimRun(a.id, 7, 'url', NOW),
      claims.claimRun(b.id, 7, 'url', NOW),
    ]);
    expect(linked.filter(Boolean)).toHaveLength(1);
    const winner = linked.find(Boolean)!;
    expect(await claims.claimRun(winner.id, 8, 'url', NOW)).toBeNull();
  });

  it('hands the watchdog notice to one caller', async () => {
    const deployment = aDeployment({ status: 'queued' });
    await repository.insertInFlight(deployment, 3, decision.tracking);
    const notices = await Promise.all(
      Array.from({ length: 5 }, () => claims.claimWatchdogNotice(deployment.id, NOW)),
    );
    expect(notices.filter(Boolean)).toHaveLength(1);
  });

  it('gives no watchdog notice for a run that has started', async () => {
    const deployment = aDeployment({ service: 'started', status: 'in_progress' });
    await repository.insertInFlight(deployment, 3, decision.tracking);
    expect(await claims.claimWatchdogNotice(deployment.id, NOW)).toBeNull();
  });
});
