import type { Connection, Model } from 'mongoose';
import { aDeployment } from '../../test/support/factories';
import { kernelDatabase } from '../../test/support/kernel';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { DeploymentDocument } from '../deployments/deployment.schema';
import { DeploymentOutbox } from './message-outbox.store';

const NOW = new Date();
const LEASE_MS = 20_000;

/** The Discord side's lease, raced on the real engine: one worker of all instances at a time. */
describe('DeploymentOutbox on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let outbox: DeploymentOutbox;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_outbox'));
    outbox = new DeploymentOutbox(model);
  });
  afterAll(() => connection.close());

  let services = 0;
  async function dueDeployment(): Promise<string> {
    const deployment = aDeployment({
      service: `svc-${++services}`,
      status: 'dispatched',
      createdAt: NOW,
    });
    const inserted = await new DeploymentRepository(model).insertInFlight(deployment, 100, {
      leaseUntil: NOW,
      nextCheckAt: NOW,
    });
    expect(inserted).toEqual({ inserted: true });
    return deployment.id;
  }

  it('gives a due deployment to one of many workers claiming at once', async () => {
    const id = await dueDeployment();
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => outbox.claim(id, NOW, LEASE_MS, `host-${i}#1`)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('lets a stopping worker give its lease back: the next one claims at once, the stale one frees nothing', async () => {
    const id = await dueDeployment();
    await outbox.claim(id, NOW, LEASE_MS, 'host-a#1');
    await outbox.release(id, 'host-b#9');
    expect(await outbox.claim(id, NOW, LEASE_MS, 'host-b#1')).toBeNull();
    await outbox.release(id, 'host-a#1');
    expect(await outbox.claim(id, NOW, LEASE_MS, 'host-b#1')).not.toBeNull();
  });

  it('records nothing for a worker whose lease ran out and was taken over', async () => {
    const id = await dueDeployment();
    const first = (await outbox.claim(id, NOW, LEASE_MS, 'host-a#1'))!;
    const afterLease = new Date(NOW.getTime() + LEASE_MS + 1);
    expect(await outbox.renew(id, 'host-a#1', afterLease, LEASE_MS)).toBe(false);
    const second = (await outbox.claim(id, afterLease, LEASE_MS, 'host-b#1'))!;
    expect(second).not.toBeNull();

    // The first worker wakes up: it can neither renew nor record, and leaves the lease alone.
    expect(await outbox.renew(id, 'host-a#1', afterLease, LEASE_MS)).toBe(false);
    expect(await outbox.finish(id, first.state, { messageVersion: first.state.version })).toBe(
      false,
    );
    const held = await model.findById(id).lean<{ sync?: { leaseOwner?: string } }>();
    expect(held?.sync?.leaseOwner).toBe('host-b#1');
    expect(await outbox.claim(id, afterLease, LEASE_MS, 'host-c#1')).toBeNull();

    expect(await outbox.renew(id, 'host-b#1', afterLease, LEASE_MS)).toBe(true);
    expect(await outbox.finish(id, second.state, { messageVersion: second.state.version })).toBe(
      true,
    );
  });
});
