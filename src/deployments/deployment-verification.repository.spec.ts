import type { Connection, Model } from 'mongoose';
import { aDeployment } from '../../test/support/factories';
import { kernelDatabase } from '../../test/support/kernel';
import { Deployment, VerificationPlan } from './deployment';
import { DeploymentVerificationRepository } from './deployment-verification.repository';
import { DeploymentDocument } from './deployment.schema';
import { storedForm } from './deployment.repository';

const NOW = new Date('2026-12-06T10:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const PLAN: VerificationPlan = {
  url: 'https://api.example.com/health',
  expectStatus: 200,
  soakMs: 600_000,
  intervalMs: 30_000,
  failuresToFail: 3,
  autoRollback: true,
  onRunFailure: true,
};

/** The verification stage's claims and moves, each won by one caller, on the real engine. */
describe('DeploymentVerificationRepository on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let verifications: DeploymentVerificationRepository;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_verification'));
    verifications = new DeploymentVerificationRepository(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  async function stored(overrides: Partial<Deployment>): Promise<Deployment> {
    const deployment = aDeployment({
      verification: { plan: PLAN, state: 'waiting', probes: 0, failuresInRow: 0 },
      ...overrides,
    });
    await model.create(storedForm(deployment));
    return deployment;
  }

  it('begins the soak of a succeeded run once, from now for the plan soak', async () => {
    const waiting = await stored({ status: 'in_progress' });
    expect(await verifications.beginNext(NOW)).toBeNull();
    await model.updateOne({ _id: waiting.id }, { $set: { status: 'success' } });
    const [first, second] = await Promise.all([
      verifications.beginNext(NOW),
      verifications.beginNext(NOW),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const begun = (first ?? second)!;
    expect(begun.verification).toMatchObject({
      state: 'verifying',
      startedAt: NOW,
      soakUntil: later(600_000),
      nextProbeAt: NOW,
    });
  });

  it('gives a due probe to one of several claimers, and records it only for its holder', async () => {
    const soaking = await stored({ status: 'success' });
    await verifications.beginNext(NOW);
    const claims = await Promise.all(
      ['a#1', 'b#1', 'c#1'].map((owner) => verifications.claimProbe(NOW, later(60_000), owner)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const record = {
      result: { at: NOW, outcome: 'healthy' as const, detail: 'answered 200' },
      probes: 1,
      failuresInRow: 0,
      nextProbeAt: later(30_000),
    };
    // A worker whose lease was taken over records nothing.
    expect(await verifications.recordProbe(soaking.id, 'someone-else#9', record, NOW)).toBeNull();
    const owner = (await model
      .findById(soaking.id)
      .lean<{ verification: { leaseOwner: string } }>())!.verification.leaseOwner;
    const recorded = await verifications.recordProbe(soaking.id, owner, record, NOW);
    expect(recorded!.verification).toMatchObject({ probes: 1, nextProbeAt: later(30_000) });
    // Not due again before its next probe.
    expect(await verifications.claimProbe(later(1_000), later(60_000), 'a#2')).toBeNull();
    expect(await verifications.claimProbe(later(30_000), later(90_000), 'a#2')).not.toBeNull();
  });

  it('fails a failed run at once on a target that rolls back failed runs, and forgets the others', async () => {
    const failedRun = await stored({ status: 'failure' });
    const rejected = await stored({ status: 'rejected' });
    const failed = await verifications.failRunNext(NOW, 'its run did not succeed');
    expect(failed!.id).toBe(failedRun.id);
    expect(failed!.verification).toMatchObject({
      state: 'failed',
      rollback: { state: 'due', reason: 'its run did not succeed' },
      noticeDue: true,
    });
    expect(await verifications.forgetUnrun()).toBe(1);
    expect((await model.findById(rejected.id).lean())!.verification).toBeUndefined();
  });

  it('gives an automatic rollback due to one claimer, settled only by it', async () => {
    const failed = await stored({ status: 'failure' });
    await verifications.failRunNext(NOW, 'its run did not succeed');
    const claims = await Promise.all(
      ['a#1', 'b#1'].map((owner) => verifications.claimRollback(NOW, later(60_000), owner)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const owner = claims[0] ? 'a#1' : 'b#1';
    const settled = { state: 'held' as const, reason: 'no verified deployment' };
    expect(await verifications.settleRollback(failed.id, 'c#1', settled, NOW)).toBeNull();
    expect(
      (await verifications.settleRollback(failed.id, owner, settled, NOW))!.verification!.rollback,
    ).toEqual(settled);
    // The notice waits for nothing now, and is taken once.
    expect(await verifications.claimNotice(NOW, later(30_000))).not.toBeNull();
    expect(await verifications.claimNotice(NOW, later(30_000))).toBeNull();
  });

  it('allows one automatic rollback per failed deployment (unique index)', async () => {
    const rollback = { of: 'd-aaaaaa', ofSha: 'a'.repeat(40), to: 'd-bbbbbb', automatic: true };
    await model.create(storedForm(aDeployment({ rollback })));
    await expect(model.create(storedForm(aDeployment({ rollback })))).rejects.toMatchObject({
      code: 11000,
    });
    // Rollbacks people ask for are not limited so.
    const manual = { of: 'd-aaaaaa', ofSha: 'a'.repeat(40), to: 'd-bbbbbb' };
    await model.create(storedForm(aDeployment({ rollback: manual })));
    await model.create(storedForm(aDeployment({ rollback: manual })));
  });
});
