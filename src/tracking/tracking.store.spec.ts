import type { Connection, Model } from 'mongoose';
import { aDeployment } from '../../test/support/factories';
import { kernelDatabase } from '../../test/support/kernel';
import { DeploymentLeases } from '../deployments/deployment-leases.repository';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { DeploymentDocument } from '../deployments/deployment.schema';
import { RunDeliveryDocument, RunDeliverySchema } from './run-delivery.schema';
import { DeploymentTrackingStore } from './tracking.store';

const NOW = new Date();
const LEASE_MS = 30_000;

/** Check leases and webhook deliveries, raced on the real engine. */
describe('DeploymentTrackingStore on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let store: DeploymentTrackingStore;
  let repository: DeploymentRepository;
  let leases: DeploymentLeases;
  let deliveries: Model<RunDeliveryDocument>;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_tracking'));
    deliveries = connection.model(RunDeliveryDocument.name, RunDeliverySchema);
    await deliveries.init();
    store = new DeploymentTrackingStore(model, deliveries);
    repository = new DeploymentRepository(model);
    leases = new DeploymentLeases(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => Promise.all([model.deleteMany({}), deliveries.deleteMany({})]));

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
    expect(await leases.renew(id, 'host-b#1', later, LEASE_MS)).toBe(false);
    expect(await leases.renew(id, 'host-a#1', later, LEASE_MS)).toBe(true);
    // Renewed: still held past the first lease's end …
    expect(
      await store.claimDueCheck(new Date(NOW.getTime() + LEASE_MS), LEASE_MS, 'b#1'),
    ).toBeNull();
    // … until the renewed one ends; then a lease that ran out cannot be renewed.
    const end = new Date(later.getTime() + LEASE_MS);
    expect(await leases.renew(id, 'host-a#1', end, LEASE_MS)).toBe(false);
    expect((await store.claimDueCheck(end, LEASE_MS, 'host-b#2'))?.id).toBe(id);
    // The first worker's late release leaves its successor's lease alone.
    await store.releaseCheck({ id, leaseOwner: 'host-a#1' }, end);
    expect(await store.claimDueCheck(end, LEASE_MS, 'host-c#1')).toBeNull();
  });

  it('keeps the next check that a change made since the claim set (a webhook knew better)', async () => {
    const [id] = await due(1);
    const claimed = (await store.claimDueCheck(NOW, LEASE_MS, 'host-a#1'))!;
    const backstop = new Date(NOW.getTime() + 300_000);
    // A webhook moves it on meanwhile, setting its next check from what it knows.
    await model.updateOne({ _id: id }, { $set: { nextCheckAt: backstop }, $inc: { version: 1 } });
    await store.releaseCheck(claimed, new Date(NOW.getTime() + 200));
    expect((await model.findById(id).lean())!.nextCheckAt).toEqual(backstop);
    // Unchanged since its claim: the check's own next time stands.
    const reclaimed = (await store.claimDueCheck(backstop, LEASE_MS, 'host-a#2'))!;
    const next = new Date(backstop.getTime() + 200);
    await store.releaseCheck(reclaimed, next);
    expect((await model.findById(id).lean())!.nextCheckAt).toEqual(next);
  });

  it('takes a delivery once, however many times it arrives at once, until it is given back', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.claimDelivery('delivery-1', 7, NOW)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claimDelivery('delivery-1', 7, NOW)).toBe(false);
    await store.forgetDelivery('delivery-1');
    expect(await store.claimDelivery('delivery-1', 7, NOW)).toBe(true);
    // Kept past GitHub's redelivery window (7 days at most), then let go by the TTL index.
    const ttl = (await deliveries.collection.indexes()).find((index) => index.key.at === 1);
    expect(ttl?.expireAfterSeconds).toBe(8 * 24 * 60 * 60);
  });

  it('finds the deployment holding a run only from its repository and workflow, by the run id index', async () => {
    const deployment = aDeployment({
      status: 'dispatched',
      runId: 7,
      source: { owner: 'Acme', repo: 'API', workflow: 'deploy.yml', inputs: {} },
    });
    await repository.insertInFlight(deployment, 3, { leaseUntil: NOW, nextCheckAt: NOW });
    const origin = { repository: 'acme/api', workflowPath: '.github/workflows/deploy.yml' };
    expect(await store.runHolder(7, origin)).toEqual({
      id: deployment.id,
      status: 'dispatched',
      createdAt: deployment.createdAt,
      workflow: 'deploy.yml',
      observed: false,
    });
    expect(await store.runHolder(7, { ...origin, repository: 'evil/api' })).toBeNull();
    expect(await store.runHolder(7, { ...origin, workflowPath: 'other.yml' })).toBeNull();
    expect(await store.runHolder(8, origin)).toBeNull();
    const plan = (await model
      .find({ runId: 7, repository: 'acme/api', 'source.workflow': { $in: ['deploy.yml'] } })
      .explain('queryPlanner')) as unknown as Array<{ queryPlanner: { winningPlan: unknown } }>;
    expect(JSON.stringify(plan)).toContain('"indexName":"runId_1"');
  });

  it('claims with one deployment the other runs of its workflow due within the interval, and only those', async () => {
    const source = (repo: string, workflow = 'deploy.yml') => ({
      owner: 'Acme',
      repo,
      workflow,
      inputs: {},
    });
    const later = (ms: number) => new Date(NOW.getTime() + ms);
    const insert = async (
      name: string,
      overrides: Parameters<typeof aDeployment>[0],
      nextCheckAt: Date,
      leaseUntil = NOW,
    ) => {
      const deployment = aDeployment({
        service: name,
        runId: Math.floor(Math.random() * 1e9),
        ...overrides,
      });
      await repository.insertInFlight(deployment, 20, { leaseUntil, nextCheckAt });
      return deployment.id;
    };
    // The most overdue: claimed first.
    const first = await insert(
      'first',
      { status: 'in_progress', source: source('api') },
      later(-1_000),
    );
    const soon = await insert('soon', { status: 'queued', source: source('API') }, later(5_000));
    const dispatched = await insert(
      'dispatched',
      { status: 'dispatched', source: source('api') },
      NOW,
    );
    await insert('too-late', { status: 'in_progress', source: source('api') }, later(20_000));
    await insert('other-workflow', { status: 'in_progress', source: source('api', 'x.yml') }, NOW);
    await insert('other-repo', { status: 'in_progress', source: source('web') }, NOW);
    await insert('no-run', { status: 'dispatching', runId: undefined, source: source('api') }, NOW);
    await insert('leased', { status: 'in_progress', source: source('api') }, NOW, later(LEASE_MS));

    const claimed = await store.claimDueCheck(NOW, LEASE_MS, 'host-a#1');
    expect(claimed?.id).toBe(first);
    const companions = await store.claimCompanions(
      claimed!,
      later(10_000),
      NOW,
      LEASE_MS,
      'host-a#1',
    );
    expect(companions.map((c) => c.id).sort()).toEqual([soon, dispatched].sort());
    expect(companions.every((c) => c.leaseOwner === 'host-a#1')).toBe(true);
    // Renewed together, by their owner only.
    const ids = [first, ...companions.map((c) => c.id)];
    expect(await store.renewChecks(ids, 'host-b#1', later(1_000), LEASE_MS)).toBe(false);
    expect(await store.renewChecks(ids, 'host-a#1', later(1_000), LEASE_MS)).toBe(true);
    // A second claim at the same moment gets none of them.
    expect(await store.claimCompanions(claimed!, later(10_000), NOW, LEASE_MS, 'host-b#1')).toEqual(
      [],
    );
  });

  it('lists the repositories with deployments tracked', async () => {
    await repository.insertInFlight(
      aDeployment({
        service: 'one',
        status: 'in_progress',
        source: { owner: 'Acme', repo: 'Api', workflow: 'd.yml', inputs: {} },
      }),
      10,
      { leaseUntil: NOW, nextCheckAt: NOW },
    );
    expect(await store.trackedRepositories()).toEqual(['acme/api']);
  });
});
