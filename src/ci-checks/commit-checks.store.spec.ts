import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import type { CommitChecks } from '../github/github.types';
import { CommitChecksDocument, CommitChecksSchema } from './commit-checks.schema';
import { CommitChecksStore } from './commit-checks.store';

const NOW = new Date('2026-12-04T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const checks = (conclusion: string): CommitChecks => ({
  runs: [{ id: 1, name: 'build', status: 'completed', conclusion, app: 'github-actions' }],
  statuses: [],
});

/** One read of a commit's checks for every request held on it, on the real engine. */
describe('CommitChecksStore on the real engine', () => {
  let connection: Connection;
  let model: mongoose.Model<CommitChecksDocument>;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('commit_checks')).asPromise();
    model = connection.model(CommitChecksDocument.name, CommitChecksSchema);
    await model.init();
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('lets one reader at a time claim a stale read; the others get what is cached', async () => {
    const store = new CommitChecksStore(model);
    const key = 'acme/api@abc';
    const first = await store.claimRead(key, NOW, at(-5_000), at(20_000));
    const second = await store.claimRead(key, NOW, at(-5_000), at(20_000));
    expect([first.claimed, second.claimed]).toEqual([true, false]);
    await store.save(key, { checks: checks('success'), etags: { runs: 'e1' } }, NOW);
    const later = await store.claimRead(key, at(1_000), at(-4_000), at(21_000));
    expect(later).toMatchObject({ claimed: false, cached: { readAt: NOW, etags: { runs: 'e1' } } });
  });

  it('lets a failed read give back only its own claim, not the one of a reader after it', async () => {
    const store = new CommitChecksStore(model);
    const key = 'acme/api@fed';
    const slow = await store.claimRead(key, NOW, at(-5_000), at(20_000));
    // The slow reader's claim runs out; another takes the read.
    const next = await store.claimRead(key, at(21_000), at(16_000), at(41_000));
    expect([slow.claimed, next.claimed]).toEqual([true, true]);
    await store.release(key, at(20_000));
    expect((await store.claimRead(key, at(22_000), at(17_000), at(42_000))).claimed).toBe(false);
    await store.release(key, at(41_000));
    expect((await store.claimRead(key, at(23_000), at(18_000), at(43_000))).claimed).toBe(true);
  });

  it('never lets a slow read overwrite one that began after it', async () => {
    const store = new CommitChecksStore(model);
    const key = 'acme/api@def';
    // Read B began at +10 s and was kept first; read A began at 0 and ends late.
    await store.save(key, { checks: checks('failure'), etags: {} }, at(10_000));
    await store.save(key, { checks: checks('success'), etags: {} }, NOW);
    const doc = await model.findById(key).lean();
    expect(doc).toMatchObject({ readAt: at(10_000), runs: [{ conclusion: 'failure' }] });
    // A newer read still replaces it.
    await store.save(key, { checks: checks('success'), etags: {} }, at(20_000));
    expect(await model.findById(key).lean()).toMatchObject({
      readAt: at(20_000),
      runs: [{ conclusion: 'success' }],
    });
  });
});
