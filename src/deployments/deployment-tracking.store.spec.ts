import type { Connection, Model } from 'mongoose';
import { aDeployment } from '../../test/support/factories';
import { kernelDatabase } from '../../test/support/kernel';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';
import { DeploymentTrackingStore } from './deployment-tracking.store';

const NOW = new Date();
const LEASE_MS = 30_000;

/** Check leases and webhook deliveries, raced on the real engine. */
describe('DeploymentTrackingStore on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let store: DeploymentTrackingStore;
  let repository: DeploymentRepository;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_tracking'));
    store = new DeploymentTrackingStore(model);
    repository = new DeploymentRepository(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  const due = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const deployment = aDeployment({ service: `svc-${i}`, status: 'dispatched' });
      await repository.insertInFlight(deployment, 10, { leaseUntil: NOW, nextCheckAt: NOW });
      ids.push(deployment.id);
    }
    return ids;
  };

  it('gives each due deployment to one of many workers claiming at once', async () => {
    const ids = await due(4);
    const claimed = await Promise.all(
      Array.from({ length: 10 }, () => store.claimDueCheck(NOW, LEASE_MS, 'test#1')),
    );
    const got = claimed.filter(Boolean).map((deployment) => deployment!.id);
    expect(got.sort()).toEqual([...ids].sort());
  });

  it('keeps a claimed deployment from others until its lease ends or is given back', async () => {
    const [id] = await due(1);
    expect((await store.claimDueCheck(NOW, LEASE_MS, 'test#1'))?.id).toBe(id);
    expect(await store.claimDueCheck(NOW, LEASE_MS, 'test#1')).toBeNull();
    expect(
      (await store.claimDueCheck(new Date(NOW.getTime() + LEASE_MS), LEASE_MS, 'test#1'))?.id,
    ).toBe(id);
    await store.releaseCheck({ id }, NOW, '"etag"');
    const again = await store.claimDueCheck(new Date(NOW.getTime() + LEASE_MS), LEASE_MS, 'test#1');
    expect(again).toMatchObject({ id, etag: '"etag"' });
  });

  it('lets only the worker holding a check lease renew it, and only before it ends', async () => {
    const [id] = await due(1);
    await store.claimDueCheck(NOW, LEASE_MS, 'host-a#1');
    const later = new Date(NOW.getTime() + LEASE_MS / 2);
    expect(await store.renewCheck(id, 'host-b#1', later, LEASE_MS)).toBe(false);
    expect(await store.renewCheck(id, 'host-a#1', later, LEASE_MS)).toBe(true);
    // Renewed: still held past the first lease's end …
    expect(
      await store.claimDueCheck(new Date(NOW.getTime() + LEASE_MS), LEASE_MS, 'b#1'),
    ).toBeNull();
    // … until the renewed one ends; then a lease that ran out cannot be renewed.
    const end = new Date(later.getTime() + LEASE_MS);
    expect(await store.renewCheck(id, 'host-a#1', end, LEASE_MS)).toBe(false);
    expect((await store.claimDueCheck(end, LEASE_MS, 'host-b#2'))?.id).toBe(id);
    // The first worker's late release leaves its successor's lease alone.
    await store.releaseCheck({ id, leaseOwner: 'host-a#1' }, end);
    expect(await store.claimDueCheck(end, LEASE_MS, 'host-c#1')).toBeNull();
  });

  it('applies a delivery once, however many times it arrives at once', async () => {
    const deployment = aDeployment({
      status: 'dispatched',
      runId: 7,
      source: { owner: 'Acme', repo: 'API', workflow: 'deploy.yml', inputs: {} },
    });
    await repository.insertInFlight(deployment, 3, { leaseUntil: NOW, nextCheckAt: NOW });
    const origin = { repository: 'acme/api', workflowPath: '.github/workflows/deploy.yml' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.recordDelivery(7, 'delivery-1', origin)),
    );
    expect(results.filter((r) => r !== 'duplicate' && r !== null)).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(4);
    expect(
      await store.recordDelivery(7, 'delivery-2', { ...origin, repository: 'evil/api' }),
    ).toBeNull();
    await store.forgetDelivery(deployment.id, 'delivery-1');
    expect(await store.recordDelivery(7, 'delivery-1', origin)).not.toBe('duplicate');
  });
});
