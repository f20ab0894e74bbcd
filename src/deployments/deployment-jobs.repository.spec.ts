import type { Connection, Model } from 'mongoose';
import { kernelDatabase } from '../../test/support/kernel';
import { aDeployment } from '../../test/support/factories';
import { JobLine } from './deployment';
import { DeploymentJobs } from './deployment-jobs.repository';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';
import { MAX_JOBS } from './jobs';

const STEPS: JobLine['status'][] = ['queued', 'waiting', 'in_progress', 'completed'];

/** Job reports raced on the real engine, as a matrix's webhooks arrive. */
describe('DeploymentJobs on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;
  let jobs: DeploymentJobs;
  let repository: DeploymentRepository;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_jobs'));
    jobs = new DeploymentJobs(model);
    repository = new DeploymentRepository(model);
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  /** A deployment of acme/api in flight whose run is `runId`. */
  async function inFlightWithRun(runId: number) {
    const deployment = aDeployment({ service: 'api', runId, status: 'dispatched' });
    await repository.insertInFlight(deployment, 5, {
      leaseUntil: new Date(),
      nextCheckAt: new Date(),
    });
    await model.updateOne({ _id: deployment.id }, { $set: { repository: 'acme/api' } });
    return deployment;
  }

  it('loses no report when every report of every kept job arrives at once, amid other changes', async () => {
    const deployment = await inFlightWithRun(4242);
    const at = new Date();
    const reports = Array.from({ length: MAX_JOBS }, (_, i) =>
      STEPS.map((status, step) => ({
        line: {
          id: 1_000 + i,
          name: `build (${i})`,
          status,
          ...(status === 'completed' ? { conclusion: 'success' } : {}),
          steps: 3,
          at: new Date(at.getTime() + step).toISOString(),
        } satisfies JobLine,
        delivery: { id: `delivery-${i}-${status}`, repository: 'acme/api' },
      })),
    ).flat();
    // Other changes of the deployment race the reports too: each one moves its version.
    const otherChanges = Array.from({ length: 10 }, () =>
      model.updateOne({ _id: deployment.id }, { $inc: { version: 1 } }),
    );
    const outcomes = await Promise.all([
      ...reports.map(({ line, delivery }) => jobs.recordJobs(4242, [line], at, delivery)),
      ...otherChanges,
    ]);
    expect(outcomes.slice(0, reports.length)).not.toContain('duplicate');

    const stored = await model
      .findById(deployment.id)
      .lean<{ jobs?: JobLine[]; jobDeliveryIds?: string[] }>();
    expect(stored?.jobs).toHaveLength(MAX_JOBS);
    expect(stored?.jobs?.every((job) => job.status === 'completed')).toBe(true);
    expect(new Set(stored?.jobDeliveryIds)).toEqual(
      new Set(reports.map(({ delivery }) => delivery.id)),
    );
  });

  it('takes a redelivered report for what it is, and a report of another repository for none', async () => {
    await inFlightWithRun(77);
    const line: JobLine = {
      id: 1,
      name: 'build',
      status: 'queued',
      steps: 1,
      at: new Date().toISOString(),
    };
    const delivery = { id: 'delivery-1', repository: 'acme/api' };
    expect(await jobs.recordJobs(77, [line], new Date(), delivery)).toMatchObject({
      jobs: [line],
    });
    expect(await jobs.recordJobs(77, [line], new Date(), delivery)).toBe('duplicate');
    expect(
      await jobs.recordJobs(77, [line], new Date(), { id: 'delivery-2', repository: 'evil/api' }),
    ).toBeNull();
  });
});
