import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { DigestPostDocument, DigestPostSchema } from './digest.schema';
import { DigestStore, MAX_DIGEST_ATTEMPTS } from './digest.store';

const NOW = new Date('2026-11-30T09:00:30Z');
const DUE = new Date('2026-11-30T09:00:00Z');
const WEEK = '2026-11-30';
const LEASE = 600_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** The turn to post one weekly digest: taken once across instances, on the real engine. */
describe('DigestStore on the real engine', () => {
  let connection: Connection;
  let model: mongoose.Model<DigestPostDocument>;
  let store: DigestStore;
  const claim = (owner: string, now = NOW, service = 'api', week = WEEK) =>
    store.claim(service, week, DUE, now, owner, LEASE);

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('digest_posts')).asPromise();
    model = connection.model(DigestPostDocument.name, DigestPostSchema);
    await model.init();
    store = new DigestStore(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('gives the turn to exactly one of many instances asking at once', async () => {
    const turns = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(`instance-${i}`)));
    expect(turns.filter(Boolean)).toEqual([{ id: 'api@2026-11-30', attempts: 1 }]);
    expect(await model.countDocuments()).toBe(1);
    // Another week, or another service, is another digest.
    expect(await claim('instance-0', NOW, 'api', '2026-12-07')).not.toBeNull();
    expect(await claim('instance-0', NOW, 'web')).not.toBeNull();
  });

  it('never gives a posted digest again, and takes over one whose holder went silent', async () => {
    const first = await claim('a');
    // Held: nobody else, until the lease runs out.
    expect(await claim('b', at(LEASE - 1))).toBeNull();
    const taken = await claim('b', at(LEASE + 1));
    expect(taken).toEqual({ id: first!.id, attempts: 2 });
    // The first holder's late word changes nothing (and says so); the new holder's does.
    expect(await store.posted(first!.id, 'a', at(LEASE + 2))).toBe(false);
    expect(await store.settle('api', WEEK, at(LEASE + 2))).toBe('posting');
    expect(await store.posted(first!.id, 'b', at(LEASE + 3))).toBe(true);
    expect(await store.settle('api', WEEK, at(LEASE + 3))).toBe('posted');
    expect(await claim('c', at(10 * LEASE))).toBeNull();
  });

  it('tries a failed post again after its delay, and gives up after the last try', async () => {
    let turn = await claim('a');
    await store.failed(turn!.id, 'a', 'Discord is down', at(60_000));
    expect(await claim('b', at(59_000))).toBeNull();
    for (let attempt = 2; attempt <= MAX_DIGEST_ATTEMPTS; attempt++) {
      turn = await claim('b', at(attempt * 200_000));
      expect(turn?.attempts).toBe(attempt);
      await store.failed(turn!.id, 'b', 'Discord is down', at(attempt * 200_000 + 60_000));
    }
    expect(await claim('c', at(10_000_000))).toBeNull();
    const given = await claim('a', NOW, 'web');
    expect(await store.failed(given!.id, 'a', 'Missing Access')).toBe(true);
    expect(await store.settle('web', WEEK, NOW)).toBe('failed');
    expect(await claim('c', at(10_000_000), 'web')).toBeNull();
  });

  it('gives up a last try whose holder went silent, once its lease runs out', async () => {
    for (let attempt = 1; attempt <= MAX_DIGEST_ATTEMPTS; attempt++)
      expect((await claim('a', at(attempt * 2 * LEASE)))?.attempts).toBe(attempt);
    // The holder of the last try crashed: nobody may try again, and the record is settled.
    const after = at((MAX_DIGEST_ATTEMPTS * 2 + 1) * LEASE + 1);
    expect(await claim('b', after)).toBeNull();
    expect(await store.settle('api', WEEK, at(MAX_DIGEST_ATTEMPTS * 2 * LEASE))).toBe('posting');
    expect(await store.settle('api', WEEK, after)).toBe('failed');
  });
});
