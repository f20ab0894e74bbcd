import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import {
  QueueEntryDocument,
  QueueEntrySchema,
  QueueTargetDocument,
  QueueTargetSchema,
} from './queue.schema';
import { QueueEntry, QueueStore } from './queue.store';

const NOW = new Date('2026-12-06T12:00:00Z');
const LATER = new Date(NOW.getTime() + 3_600_000);
const LEASE = 60_000;
const target = { service: 'api', environment: 'prod' };
const request = (member = 'm1') => ({
  ...target,
  requester: { id: member, name: `member ${member}` },
  channelId: 'c1',
  expiresAt: LATER,
});

/** Each target's queue: the cap, the order and the turn's owner, on the real engine. */
describe('QueueStore on the real engine', () => {
  let connection: Connection;
  let entries: mongoose.Model<QueueEntryDocument>;
  let targets: mongoose.Model<QueueTargetDocument>;
  let store: QueueStore;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('queue_store')).asPromise();
    entries = connection.model(QueueEntryDocument.name, QueueEntrySchema);
    targets = connection.model(QueueTargetDocument.name, QueueTargetSchema);
    await Promise.all([entries.init(), targets.init()]);
    store = new QueueStore(entries, targets);
  });
  afterAll(() => connection.close());
  beforeEach(() => Promise.all([entries.deleteMany({}), targets.deleteMany({})]));

  const enqueue = (member = 'm1', max = 20) => store.enqueue(request(member), NOW, LATER, max);
  const queued = async (member = 'm1'): Promise<QueueEntry> => {
    const result = await enqueue(member);
    if (!('entry' in result)) throw new Error(`not queued: ${JSON.stringify(result)}`);
    return result.entry;
  };

  it('lets 30 racing requests take exactly the 20 places of a queue, in distinct order', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => enqueue(`m${i}`)));
    const inLine = results.filter((result) => 'entry' in result);
    expect(inLine).toHaveLength(20);
    expect(results.filter((result) => 'full' in result)).toHaveLength(10);
    expect(await entries.countDocuments({ state: 'queued' })).toBe(20);
    const seqs = new Set(inLine.map((result) => ('entry' in result ? result.entry.seq : 0)));
    expect(seqs.size).toBe(20);
  });

  it('gives a place back when an entry leaves the line: cancelled, expired, failed, admitted', async () => {
    const [a, b, c, d] = [await queued(), await queued(), await queued(), await queued()];
    expect(await enqueue('m9', 4)).toEqual({ full: 4 });
    await store.cancel(a.id, { id: 'm1', name: 'member m1' }, NOW);
    expect(await enqueue('m9', 4)).toHaveProperty('entry');
    await entries.updateOne({ _id: b.id }, { $set: { expiresAt: NOW } });
    expect(await store.expireOne(NOW)).toMatchObject({ id: b.id, state: 'expired' });
    expect(await enqueue('m9', 4)).toHaveProperty('entry');
    expect(await store.takeTurn(c, 'one', NOW, LEASE)).toBe(true);
    await store.fail(c, 'refused', NOW, 'one');
    expect(await enqueue('m9', 4)).toHaveProperty('entry');
    await store.admitted(d, 'd-abcdef', NOW);
    expect(await enqueue('m9', 4)).toHaveProperty('entry');
    expect(await enqueue('m9', 4)).toEqual({ full: 4 });
    expect(await entries.countDocuments({ state: { $in: ['queued', 'admitting'] } })).toBe(4);
  });

  it('leaves an offer open when the queue is full, and takes it up once a place is free', async () => {
    const first = await queued();
    await queued('m2');
    const offer = await store.offer({ ...request('m3') }, NOW);
    expect(await store.enqueue(offer, NOW, LATER, 2)).toEqual({ full: 2 });
    expect(await store.find(offer.id)).toMatchObject({ state: 'offered' });
    await store.cancel(first.id, { id: 'm1', name: 'member m1' }, NOW);
    expect(await store.enqueue(offer, NOW, LATER, 2)).toMatchObject({
      entry: { id: offer.id, state: 'queued' },
      position: 2,
    });
    expect(await store.enqueue(offer, NOW, LATER, 2)).toEqual({ gone: true });
  });

  it('ignores the writes of an instance whose turn was taken over', async () => {
    const entry = await queued();
    expect(await store.takeTurn(entry, 'stopped', NOW, LEASE)).toBe(true);
    const expired = new Date(NOW.getTime() + LEASE);
    expect(await store.takeOver(target, entry.id, 'alive', expired, LEASE)).toBe(true);
    // The first instance was only slow: its late requeue and failure change nothing.
    await store.requeue(entry, 'stopped');
    await store.fail(entry, 'late', NOW, 'stopped');
    expect(await store.find(entry.id)).toMatchObject({ state: 'admitting', owner: 'alive' });
    expect(await store.turnOf(target)).toMatchObject({ entryId: entry.id, owner: 'alive' });
    await store.requeue(entry, 'alive');
    expect(await store.find(entry.id)).toMatchObject({ state: 'queued' });
    expect(await store.turnOf(target)).toBeUndefined();
  });

  it('puts back in line an entry left admitting by a write that landed after its turn was lost', async () => {
    const entry = await queued();
    // A stopped instance's late write: the entry admitting under it, the turn free.
    await entries.updateOne({ _id: entry.id }, { $set: { state: 'admitting', owner: 'gone' } });
    expect(await store.releaseStray(target, undefined, NOW)).toBe(1);
    expect(await store.find(entry.id)).toMatchObject({ state: 'queued' });
    expect(await store.find(entry.id)).not.toHaveProperty('owner');
    // The entry that holds the turn is left alone.
    expect(await store.takeTurn(entry, 'one', NOW, LEASE)).toBe(true);
    expect(await store.releaseStray(target, entry.id, LATER)).toBe(0);
    expect(await store.find(entry.id)).toMatchObject({ state: 'admitting', owner: 'one' });
    // Nor one another instance took a moment ago, after this one read the turn as free.
    expect(await store.releaseStray(target, undefined, new Date(NOW.getTime() - LEASE))).toBe(0);
    expect(await store.find(entry.id)).toMatchObject({ state: 'admitting', owner: 'one' });
  });

  it('counts failures that may pass in a row: the target busy again starts anew', async () => {
    const entry = await queued();
    const retry = new Date(NOW.getTime() + 30_000);
    for (let i = 0; i < 2; i++) {
      expect(await store.takeTurn(entry, 'one', retry, LEASE)).toBe(true);
      await store.requeue(entry, 'one', retry);
    }
    expect(await store.find(entry.id)).toMatchObject({ attempts: 2 });
    expect(await store.takeTurn(entry, 'one', retry, LEASE)).toBe(true);
    await store.requeue(entry, 'one');
    expect(await store.find(entry.id)).toMatchObject({ attempts: 0 });
  });

  it('keeps the turn with an admitted entry whatever instance records it', async () => {
    const entry = await queued();
    await store.admitted(entry, 'd-123456', NOW);
    expect(await store.turnOf(target)).toEqual({
      entryId: entry.id,
      phase: 'admitted',
      deploymentId: 'd-123456',
    });
  });

  it('keeps a backed-off head at its place: the entries behind it wait', async () => {
    const first = await queued();
    const second = await queued('m2');
    expect(await store.takeTurn(first, 'one', NOW, LEASE)).toBe(true);
    await store.requeue(first, 'one', new Date(NOW.getTime() + 30_000));
    expect(await store.head(target, NOW)).toBeNull();
    const retried = await store.head(target, new Date(NOW.getTime() + 30_000));
    expect(retried).toMatchObject({ id: first.id, attempts: 1 });
    expect(second.seq).toBeGreaterThan(first.seq!);
  });

  it("counts a member's requests in line on every target", async () => {
    await queued('m1');
    await store.enqueue({ ...request('m1'), environment: 'staging' }, NOW, LATER, 20);
    await queued('m2');
    expect(await store.countInLineFor('m1')).toBe(2);
  });
});
