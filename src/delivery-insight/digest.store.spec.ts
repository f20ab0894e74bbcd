import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { DigestPostDocument, DigestPostSchema } from './digest.schema';
import { DigestStore, MAX_DIGEST_ATTEMPTS } from './digest.store';

const NOW = new Date('2026-11-30T09:00:30Z');
const DUE = new Date('2026-11-30T09:00:00Z');
const LEASE = 120_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

/** The turn to post one weekly digest: taken once across instances, on the real engine. */
describe('DigestStore on the real engine', () => {
  let connection: Connection;
  let model: mongoose.Model<DigestPostDocument>;
  let store: DigestStore;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('digest_posts')).asPromise();
    model = connection.model(DigestPostDocument.name, DigestPostSchema);
    await model.init();
    store = new DigestStore(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('gives the turn to exactly one of many instances asking at once', async () => {
    const turns = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.claim('api', DUE, NOW, `instance-${i}`, LEASE)),
    );
    expect(turns.filter(Boolean)).toEqual([{ id: 'api@2026-11-30T09:00:00.000Z', attempts: 1 }]);
    expect(await model.countDocuments()).toBe(1);
    // Another week, or another service, is another digest.
    expect(await store.claim('api', at(7 * 86_400_000), NOW, 'instance-0', LEASE)).not.toBeNull();
    expect(await store.claim('web', DUE, NOW, 'instance-0', LEASE)).not.toBeNull();
  });

  it('never gives a posted digest again, and takes over one whose holder went silent', async () => {
    const first = await store.claim('api', DUE, NOW, 'a', LEASE);
    // Held: nobody else, until the lease runs out.
    expect(await store.claim('api', DUE, at(LEASE - 1), 'b', LEASE)).toBeNull();
    const taken = await store.claim('api', DUE, at(LEASE + 1), 'b', LEASE);
    expect(taken).toEqual({ id: first!.id, attempts: 2 });
    // The first holder's late word changes nothing; the new holder's does.
    await store.posted(first!.id, 'a', at(LEASE + 2));
    expect(await store.state('api', DUE)).toBe('posting');
    await store.posted(first!.id, 'b', at(LEASE + 3));
    expect(await store.state('api', DUE)).toBe('posted');
    expect(await store.claim('api', DUE, at(10 * LEASE), 'c', LEASE)).toBeNull();
  });

  it('tries a failed post again after its delay, and gives up after the last try', async () => {
    let turn = await store.claim('api', DUE, NOW, 'a', LEASE);
    await store.failed(turn!.id, 'a', 'Discord is down', at(60_000));
    expect(await store.claim('api', DUE, at(59_000), 'b', LEASE)).toBeNull();
    for (let attempt = 2; attempt <= MAX_DIGEST_ATTEMPTS; attempt++) {
      turn = await store.claim('api', DUE, at(attempt * 200_000), 'b', LEASE);
      expect(turn?.attempts).toBe(attempt);
      await store.failed(turn!.id, 'b', 'Discord is down', at(attempt * 200_000 + 60_000));
    }
    expect(await store.claim('api', DUE, at(10_000_000), 'c', LEASE)).toBeNull();
    const given = await store.claim('web', DUE, NOW, 'a', LEASE);
    await store.failed(given!.id, 'a', 'Missing Access');
    expect(await store.state('web', DUE)).toBe('failed');
    expect(await store.claim('web', DUE, at(10_000_000), 'c', LEASE)).toBeNull();
  });
});
