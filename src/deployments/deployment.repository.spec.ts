import type { Connection, Model } from 'mongoose';
import { kernelDatabase } from '../../test/support/kernel';
import { aDeployment } from '../../test/support/factories';
import { Deployment } from './deployment';
import { DeploymentHistory } from './deployment-history.repository';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';

const NOW = new Date();
const tracking = { leaseUntil: NOW, nextCheckAt: NOW };
const dispatching = (overrides: Partial<Deployment> = {}) =>
  aDeployment({ status: 'dispatching', ...overrides });

/** The atomic inserts and moves of the deployment's life, raced on the real engine. */
describe('DeploymentRepository on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let repository: DeploymentRepository;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_moves'));
    repository = new DeploymentRepository(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('lets one of many simultaneous deploys to a target in; the others find it busy', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        repository.insertInFlight(dispatching({ service: 'api' }), 5, tracking),
      ),
    );
    expect(outcomes.filter((o) => o.inserted)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.inserted && o.reason === 'busy')).toHaveLength(9);
  });

  it('holds at most maxConcurrent in flight across targets, whatever the race', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        repository.insertInFlight(dispatching({ service: `svc-${i}` }), 3, tracking),
      ),
    );
    expect(outcomes.filter((o) => o.inserted)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.inserted && o.reason === 'cap')).toHaveLength(5);
    const slots = (await model.find({}, { slot: 1 }).lean()).map((doc) => doc.slot).sort();
    expect(slots).toEqual([0, 1, 2]);
  });

  it('says when an id is taken, so the kernel draws another', async () => {
    const first = dispatching({ service: 'a' });
    expect(await repository.insertInFlight(first, 3, tracking)).toEqual({ inserted: true });
    expect(await repository.insertInFlight({ ...first, service: 'b' }, 3, tracking)).toEqual({
      inserted: false,
      reason: 'id',
    });
    expect(await repository.insertPending({ ...first, status: 'pending_approval' })).toBe(false);
  });

  it('frees the target and the slot with a terminal move, and never moves backwards', async () => {
    const deployment = dispatching({ service: 'api' });
    await repository.insertInFlight(deployment, 1, tracking);
    expect(await repository.transition(deployment.id, 'queued', { at: NOW })).toMatchObject({
      status: 'queued',
    });
    expect(await repository.transition(deployment.id, 'dispatched', { at: NOW })).toBeNull();
    const [first, second] = await Promise.all([
      repository.transition(deployment.id, 'success', { at: NOW }),
      repository.transition(deployment.id, 'failure', { at: NOW }),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const stored = await model.findById(deployment.id).lean();
    expect(stored).not.toHaveProperty('busyTarget');
    expect(stored).not.toHaveProperty('slot');
    // The slot and the target are free again.
    expect(await repository.insertInFlight(dispatching({ service: 'api' }), 1, tracking)).toEqual({
      inserted: true,
    });
  });

  it('counts for the promotion order only a success that was not rolled back over', async () => {
    const history = new DeploymentHistory(model);
    const kept = aDeployment({ service: 'api', environment: 'staging', sha: 'a'.repeat(40) });
    const rolledBack = aDeployment({ service: 'api', environment: 'staging', sha: 'b'.repeat(40) });
    await model.create([
      { _id: kept.id, ...kept, status: 'success' },
      { _id: rolledBack.id, ...rolledBack, status: 'success', supersededBy: 'd-000001' },
    ]);
    expect(await history.hasSucceeded('api', 'staging', kept.sha)).toBe(true);
    expect(await history.hasSucceeded('api', 'staging', rolledBack.sha)).toBe(false);
    expect(await history.hasSucceeded('api', 'prod', kept.sha)).toBe(false);
  });

  it('counts nothing a successful rollback went over, before that is marked too', async () => {
    const history = new DeploymentHistory(model);
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    const old = aDeployment({ service: 'api', environment: 'staging', sha: 'a'.repeat(40) });
    const bad = aDeployment({ service: 'api', environment: 'staging', sha: 'b'.repeat(40) });
    const rollback = aDeployment({ service: 'api', environment: 'staging', sha: old.sha });
    await model.create([
      { _id: old.id, ...old, status: 'success', finishedAt: at(1) },
      { _id: bad.id, ...bad, status: 'success', finishedAt: at(2) },
      // The rollback has just succeeded: the deployments it went over are not marked yet.
      {
        _id: rollback.id,
        ...rollback,
        status: 'success',
        finishedAt: at(3),
        supersedePending: true,
      },
    ]);
    expect(await history.hasSucceeded('api', 'staging', bad.sha)).toBe(false);
    expect(await history.hasSucceeded('api', 'staging', old.sha)).toBe(true);
    // A success after the rollback counts again.
    const fixed = aDeployment({ service: 'api', environment: 'staging', sha: bad.sha });
    await model.create({ _id: fixed.id, ...fixed, status: 'success', finishedAt: at(4) });
    expect(await history.hasSucceeded('api', 'staging', bad.sha)).toBe(true);
  });

  it('gives up the check lease only when the mover holds it, under its name', async () => {
    const lease = new Date(NOW.getTime() + 30_000);
    const deployment = dispatching();
    await repository.insertInFlight(deployment, 3, {
      leaseUntil: lease,
      nextCheckAt: lease,
      leaseOwner: 'host-1-ab#2',
    });
    await repository.transition(deployment.id, 'dispatched', { at: NOW });
    expect((await model.findById(deployment.id).lean())!.leaseUntil).toEqual(lease);
    // A stale worker (its lease taken over under another name) moves it, but frees nothing.
    await repository.transition(deployment.id, 'queued', { at: NOW, releaseLease: 'host-1-ab#1' });
    const moved = (await model.findById(deployment.id).lean())!;
    expect([moved.status, moved.leaseUntil]).toEqual(['queued', lease]);
    await repository.transition(deployment.id, 'in_progress', {
      at: NOW,
      releaseLease: 'host-1-ab#2',
    });
    expect((await model.findById(deployment.id).lean())!.leaseUntil).toEqual(new Date(0));
  });

  it('cancels a pending request only while it has not expired', async () => {
    const expired = aDeployment({
      status: 'pending_approval',
      approval: { required: 1, approvals: [], expiresAt: new Date(NOW.getTime() - 1) },
    });
    await repository.insertPending(expired);
    expect(
      await repository.transition(expired.id, 'rejected', {
        at: NOW,
        from: ['pending_approval'],
        unexpired: true,
      }),
    ).toBeNull();
  });
});
