import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment, JobLine } from './deployment';
import { changed } from './deployment-leases.repository';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';
import { MAX_JOBS, mergeJobs } from './jobs';

/** Job deliveries are kept apart (a run has many jobs, each several reports). */
const KEPT_JOB_DELIVERY_IDS = 200;
/**
 * A round is lost only to a racing write that moved the deployment (reports that change nothing
 * shown never race): this many rounds cover a burst of every report that moves a kept job
 * forward (queued, waiting, in progress and completed for each) and 20 moves of the deployment
 * itself in between.
 */
export const JOB_WRITE_ROUNDS = 4 * MAX_JOBS + 20;

/** The jobs of a deployment's run, as reported: shown on its message, never its status. */
@Injectable()
export class DeploymentJobs {
  private readonly logger = new Logger('Deployments');

  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /**
   * Merges reports of the run's jobs into the deployment of `runId` (a report older than the
   * one kept for a job is dropped), and with a delivery id notes that delivery, so a redelivery
   * is a 'duplicate'. One update that expects the version it read: a change made meanwhile
   * makes it read again (JOB_WRITE_ROUNDS times, so a burst of a matrix's job reports loses
   * none; if ever more raced, the report is dropped with a log line, and a failed run's jobs are
   * read again from GitHub anyway). Never touches the status. Null when no deployment has the
   * run (or, with `repository`, the run is not that repository's).
   */
  async recordJobs(
    runId: number,
    reports: JobLine[],
    at: Date,
    delivery?: { id: string; repository: string },
  ): Promise<Deployment | 'duplicate' | 'unchanged' | null> {
    const match = {
      runId,
      ...(delivery ? { repository: delivery.repository.toLowerCase() } : {}),
    };
    // Each round of racing writers lets one through: enough rounds for every report of a run.
    for (let attempt = 0; attempt < JOB_WRITE_ROUNDS; attempt++) {
      const doc = await this.deployments
        .findOne(match, { jobs: 1, version: 1, jobDeliveryIds: 1 })
        .lean<{ _id: string; jobs?: JobLine[]; version?: number; jobDeliveryIds?: string[] }>();
      if (!doc) return null;
      if (delivery && doc.jobDeliveryIds?.includes(delivery.id)) return 'duplicate';
      const jobs = mergeJobs(doc.jobs ?? [], reports);
      const noteDelivery = delivery && {
        $push: { jobDeliveryIds: { $each: [delivery.id], $slice: -KEPT_JOB_DELIVERY_IDS } },
      };
      if (!jobs) {
        if (!noteDelivery) return 'unchanged';
        // Nothing to show (kept jobs only move forward): the delivery is noted, in one update
        // that races nobody.
        const noted = await this.deployments.updateOne(
          { _id: doc._id, jobDeliveryIds: { $ne: delivery.id } },
          noteDelivery,
        );
        return noted.matchedCount ? 'unchanged' : 'duplicate';
      }
      const { $set, $inc } = changed(at);
      const updated = await this.deployments
        .findOneAndUpdate(
          { _id: doc._id, version: doc.version ?? 0 },
          { $set: { ...$set, jobs }, $inc, ...noteDelivery },
          { returnDocument: 'after', projection: { deliveryIds: 0, jobDeliveryIds: 0 } },
        )
        .lean<Stored>();
      if (updated) return toDomain(updated)!;
    }
    this.logger.warn(
      `Reports of ${reports.length} job(s) of run ${runId} lost ${JOB_WRITE_ROUNDS} races in a row and were dropped`,
    );
    return 'unchanged';
  }
}
