import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { GateRequestDocument, GateRequestSchema } from './gate-request.schema';
import { GateQuestion, GateRequestStore } from './gate-request.store';

const NOW = new Date('2026-12-05T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const question = (overrides: Partial<GateQuestion> = {}): GateQuestion => ({
  owner: 'acme',
  repo: 'api',
  runId: 4242,
  environment: 'prod',
  event: 'workflow_dispatch',
  sender: { login: 'octo-dev', type: 'User' },
  sha: 'a'.repeat(40),
  ref: 'main',
  ...overrides,
});

/** The environment gate's questions: one per run and environment, decided once, on the real engine. */
describe('GateRequestStore on the real engine', () => {
  let connection: Connection;
  let model: mongoose.Model<GateRequestDocument>;
  let store: GateRequestStore;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('gate_requests')).asPromise();
    model = connection.model(GateRequestDocument.name, GateRequestSchema);
    await model.init();
    store = new GateRequestStore(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('opens one request per run and environment: the jobs asking at once all join it', async () => {
    const outcomes = await Promise.all(
      ['d1', 'd2', 'd3', 'd4'].map((id) => store.record(question(), id, NOW)),
    );
    expect(outcomes.filter((o) => o === 'opened')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'joined')).toHaveLength(3);
    expect(await model.countDocuments()).toBe(1);
    expect(await store.record(question({ environment: 'staging' }), 'd5', NOW)).toBe('opened');
  });

  it('recognises a redelivery, open or answered, and changes nothing', async () => {
    await store.record(question(), 'd1', NOW);
    expect(await store.record(question(), 'd1', NOW)).toBe('duplicate');
    const [id] = await store.findDue(NOW, 10);
    const claimed = await store.claim(id!, NOW, 20_000, 'me');
    await store.decide(id!, { state: 'approved', comment: 'ok', at: NOW });
    await store.close(id!, 'me', { outcome: 'accepted', at: NOW });
    expect(claimed).not.toBeNull();
    expect(await store.record(question(), 'd1', NOW)).toBe('duplicate');
    expect(await model.countDocuments()).toBe(1);
  });

  it('asks again in a new request once the last one was answered (a re-run)', async () => {
    await store.record(question(), 'd1', NOW);
    const [id] = await store.findDue(NOW, 10);
    await store.claim(id!, NOW, 20_000, 'me');
    await store.close(id!, 'me', { outcome: 'accepted', at: NOW });
    expect(await store.record(question(), 'd2', at(60_000))).toBe('opened');
    expect(await model.countDocuments()).toBe(2);
  });

  it('keeps the first decision: a later one never replaces it', async () => {
    await store.record(question(), 'd1', NOW);
    const [id] = await store.findDue(NOW, 10);
    const first = await store.decide(id!, { state: 'approved', comment: 'by Alice', at: NOW });
    const second = await store.decide(id!, { state: 'rejected', comment: 'late', at: at(1) });
    expect(first?.decision?.state).toBe('approved');
    expect(second).toBeNull();
    expect((await store.find(id!))?.decision).toMatchObject({
      state: 'approved',
      comment: 'by Alice',
    });
  });

  it('lets one worker at a time hold a request; a lease that ran out is taken over', async () => {
    await store.record(question(), 'd1', NOW);
    const [id] = await store.findDue(NOW, 10);
    const [a, b] = await Promise.all([
      store.claim(id!, NOW, 20_000, 'a'),
      store.claim(id!, NOW, 20_000, 'b'),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await store.findDue(at(1_000), 10)).toEqual([]);
    const later = await store.claim(id!, at(21_000), 20_000, 'c');
    expect(later?.id).toBe(id);
    // The first holder has lost it: what it would record is refused.
    await store.lookAgain(id!, a ? 'a' : 'b', at(99_000));
    expect((await model.findById(id).lean())?.nextAttemptAt).toEqual(NOW);
  });

  it('counts failed answers and remembers when they began', async () => {
    await store.record(question(), 'd1', NOW);
    const [id] = await store.findDue(NOW, 10);
    await store.claim(id!, NOW, 20_000, 'me');
    await store.lookAgain(id!, 'me', at(1_000), NOW);
    await store.lookAgain(id!, 'me', at(3_000), at(1_000));
    const stored = await store.find(id!);
    expect(stored).toMatchObject({ attempts: 2, firstFailureAt: NOW });
  });
});
