import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { Deployment, DeploymentStatus, TRACKED_STATUSES } from '../deployments/deployment';
import { absentOrBy } from '../deployments/deployment-leases.repository';
import { Stored, toDomain } from '../deployments/deployment.mapping';
import { DeploymentDocument } from '../deployments/deployment.schema';
import { isDuplicateKey } from '../../libs/mongo-errors';
import { RunDeliveryDocument } from './run-delivery.schema';

/** What the tracker needs beyond the domain record. */
export interface TrackedDeployment extends Deployment {
  etag?: string;
  /** Who holds the check lease (`<instance id>#<n>`), when a poll claimed it. */
  leaseOwner?: string;
  /** The record's version when the check claimed it: a change since is someone else's. */
  claimedVersion?: number;
}

/** The deployment a delivery is about, as far as moving it on goes (RunProgress). */
export type DeliveryHolder = Pick<
  Deployment,
  | 'id'
  | 'status'
  | 'runConclusion'
  | 'createdAt'
  | 'dispatchRequestedAt'
  | 'dispatchedAt'
  | 'watchdogNotifiedAt'
>;

/** The deployment holding a run, found for a delivery. */
export interface RunHolder extends DeliveryHolder {
  /** Its `source.workflow`. */
  workflow: string;
  /** A run started on GitHub and only observed (it may give its run to another deployment). */
  observed: boolean;
}

/** Where a webhook delivery says its run comes from. */
export interface DeliveryOrigin {
  /** `owner/repo` */
  repository: string;
  workflowId?: number;
  /** `.github/workflows/deploy.yml` */
  workflowPath?: string;
}

/**
 * Statuses the tracker looks at: a run may exist and move the deployment on (an `approved`
 * deployment is the dispatcher's: dispatch/dispatch-resumer.ts), and a timed-out run's late
 * conclusion.
 */
export const CHECKED_STATUSES: DeploymentStatus[] = [
  ...TRACKED_STATUSES.filter((status) => status !== 'approved'),
  'timed_out',
];

/** Statuses in which a deployment follows its run (it has one, and the run can move it on). */
export const RUN_FOLLOWING_STATUSES: DeploymentStatus[] = ['dispatched', 'queued', 'in_progress'];

/** What moving a deployment on a delivery reads (RunProgress), and whether it was observed. */
const HOLDER_FIELDS = {
  status: 1,
  runConclusion: 1,
  createdAt: 1,
  dispatchRequestedAt: 1,
  dispatchedAt: 1,
  watchdogNotifiedAt: 1,
  'source.workflow': 1,
  'origin.kind': 1,
};
type HeldRun = DeliveryHolder & {
  _id: string;
  source: { workflow: string };
  origin?: { kind: string };
};

/** The workflow a delivery names, as a deployment's `source.workflow` may hold it. */
export function workflowsOf(origin: DeliveryOrigin): string[] {
  return [
    ...(origin.workflowId !== undefined ? [String(origin.workflowId)] : []),
    ...(origin.workflowPath ? [origin.workflowPath.split('/').pop()!] : []),
  ];
}
const EPOCH = new Date(0);

/**
 * The tracking store: state about watching deployments, not their life. Which one is due a
 * check and who holds its check lease (one worker of one instance at a time), what GitHub last
 * answered (the ETag), which webhook deliveries were applied. A status change is never made
 * here: that is DeploymentTransitions'.
 */
@Injectable()
export class DeploymentTrackingStore {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
    @InjectModel(RunDeliveryDocument.name)
    private readonly runDeliveries: Model<RunDeliveryDocument>,
  ) {}

  /**
   * The deployment that holds run `runId`, when the delivery's repository and workflow are the
   * deployment's: the few fields that moving it on reads (RunProgress), by the unique run id
   * index, null otherwise.
   */
  async runHolder(runId: number, origin: DeliveryOrigin): Promise<RunHolder | null> {
    const doc = await this.deployments.collection.findOne<HeldRun>(
      {
        runId,
        repository: origin.repository.toLowerCase(),
        'source.workflow': { $in: workflowsOf(origin) },
      },
      { projection: HOLDER_FIELDS },
    );
    if (!doc) return null;
    return {
      id: doc._id,
      status: doc.status,
      createdAt: doc.createdAt,
      ...(doc.runConclusion !== undefined ? { runConclusion: doc.runConclusion } : {}),
      ...(doc.dispatchRequestedAt ? { dispatchRequestedAt: doc.dispatchRequestedAt } : {}),
      ...(doc.dispatchedAt ? { dispatchedAt: doc.dispatchedAt } : {}),
      ...(doc.watchdogNotifiedAt ? { watchdogNotifiedAt: doc.watchdogNotifiedAt } : {}),
      workflow: doc.source.workflow,
      observed: Boolean(doc.origin),
    };
  }

  /**
   * Takes a `workflow_run` delivery as applied: false when it was taken already (a redelivery,
   * or the same delivery at another instance a moment earlier). One insert by its id.
   */
  async claimDelivery(deliveryId: string, runId: number, at: Date): Promise<boolean> {
    try {
      await this.runDeliveries.collection.insertOne({ _id: deliveryId as never, runId, at });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Gives a delivery back (its change could not be stored): a redelivery is applied. */
  async forgetDelivery(deliveryId: string): Promise<void> {
    await this.runDeliveries.deleteOne({ _id: deliveryId });
  }

  /**
   * Sets when a deployment still `status` and not held by a worker is looked at next (a worker
   * holding it plans its own next look).
   */
  async planCheck(id: string, status: DeploymentStatus, at: Date, now: Date): Promise<void> {
    await this.deployments.updateOne(
      { _id: id, status, ...absentOrBy('leaseUntil', now) },
      { $set: { nextCheckAt: at } },
    );
  }

  /** Brings the deployment's next check forward to `at` (never later than it was). */
  async checkBy(id: string, at: Date): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $min: { nextCheckAt: at } });
  }

  /** Run ids some deployment already holds, among `runIds`. */
  async claimedRunIds(runIds: number[]): Promise<Set<number>> {
    const docs = await this.deployments
      .find({ runId: { $in: runIds } }, { runId: 1 })
      .lean<Array<{ runId: number }>>();
    return new Set(docs.map((doc) => doc.runId));
  }

  /**
   * Claims the deployment whose check is most overdue, for `leaseMs`: two workers (in this
   * process or another instance) never track the same deployment at once.
   */
  async claimDueCheck(
    now: Date,
    leaseMs: number,
    owner: string,
    statuses: DeploymentStatus[] = CHECKED_STATUSES,
  ): Promise<TrackedDeployment | null> {
    const doc = await this.deployments
      .findOneAndUpdate(
        {
          status: { $in: statuses },
          nextCheckAt: { $lte: now },
          ...absentOrBy('leaseUntil', now),
        },
        { $set: { leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner } },
        { sort: { nextCheckAt: 1 }, returnDocument: 'after' },
      )
      .lean<Stored>();
    if (!doc) return null;
    return {
      ...toDomain(doc)!,
      etag: doc.etag as string | undefined,
      leaseOwner: doc.leaseOwner as string | undefined,
      claimedVersion: doc.version as number | undefined,
    };
  }

  /**
   * With `first` claimed by `owner`: claims for the same owner the other deployments following a
   * run of the same repository and workflow whose check is due by `dueBy`, so that one listing
   * of the workflow's runs serves them all (and from then on they are looked at together).
   */
  async claimCompanions(
    first: TrackedDeployment,
    dueBy: Date,
    now: Date,
    leaseMs: number,
    owner: string,
  ): Promise<TrackedDeployment[]> {
    if (!first.source) return [];
    const filter = {
      _id: { $ne: first.id },
      repository: `${first.source.owner}/${first.source.repo}`.toLowerCase(),
      'source.workflow': first.source.workflow,
      status: { $in: RUN_FOLLOWING_STATUSES },
      runId: { $exists: true },
      nextCheckAt: { $lte: dueBy },
      ...absentOrBy('leaseUntil', now),
    };
    const claimed = await this.deployments.updateMany(filter, {
      $set: { leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner },
    });
    if (!claimed.modifiedCount) return [];
    // The same filter's fields with the lease just taken (served by the status index).
    const { repository, 'source.workflow': workflow, status } = filter;
    const docs = await this.deployments
      .find({
        _id: { $ne: first.id },
        repository,
        'source.workflow': workflow,
        status,
        leaseOwner: owner,
        leaseUntil: { $gt: now },
      })
      .lean<Stored[]>();
    return docs.map((doc) => ({
      ...toDomain(doc)!,
      etag: doc.etag as string | undefined,
      leaseOwner: doc.leaseOwner as string | undefined,
      claimedVersion: doc.version as number | undefined,
    }));
  }

  /** Extends the check leases `owner` still holds of `ids`; false when it holds none of them. */
  async renewChecks(ids: string[], owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const renewed = await this.deployments.updateMany(
      { _id: { $in: ids }, leaseOwner: owner, leaseUntil: { $gt: now } },
      { $set: { leaseUntil: new Date(now.getTime() + leaseMs) } },
    );
    return renewed.matchedCount > 0;
  }

  /**
   * Ends a check without a status change: when to look next (null: never), and what GitHub
   * last said. With the lease's owner, only while that worker still holds it (one whose lease
   * was taken over changes nothing). With the version the check claimed, a deployment changed
   * since (a webhook moved it, and set its next check from what it knew) keeps its next check.
   */
  async releaseCheck(
    deployment: { id: string; leaseOwner?: string; claimedVersion?: number },
    nextCheckAt: Date | null,
    etag?: string,
  ): Promise<void> {
    const filter = {
      _id: deployment.id,
      ...(deployment.leaseOwner ? { leaseOwner: deployment.leaseOwner } : {}),
    };
    const next =
      nextCheckAt && deployment.claimedVersion !== undefined
        ? {
            $cond: [{ $eq: ['$version', deployment.claimedVersion] }, nextCheckAt, '$nextCheckAt'],
          }
        : nextCheckAt;
    // A pipeline (driver level): the next check depends on the version found.
    await this.deployments.collection.updateOne(filter as unknown as mongo.Filter<mongo.Document>, [
      {
        $set: {
          leaseUntil: EPOCH,
          ...(etag ? { etag: { $literal: etag } } : {}),
          ...(next ? { nextCheckAt: next } : {}),
        },
      },
      ...(nextCheckAt === null ? [{ $unset: 'nextCheckAt' }] : []),
    ]);
  }

  /** When the next check not held by a worker is due (null when none is planned). */
  async nextDueAt(now: Date): Promise<Date | null> {
    const doc = await this.deployments
      .findOne(
        {
          status: { $in: CHECKED_STATUSES },
          nextCheckAt: { $exists: true },
          ...absentOrBy('leaseUntil', now),
        },
        { nextCheckAt: 1 },
      )
      .sort({ nextCheckAt: 1 })
      .lean<{ nextCheckAt: Date }>();
    return doc?.nextCheckAt ?? null;
  }

  /** The repositories (`owner/repo`, lowercased) of the deployments being tracked. */
  async trackedRepositories(): Promise<string[]> {
    const repositories = await this.deployments.distinct('repository', {
      status: { $in: TRACKED_STATUSES },
    });
    return repositories.filter(
      (repository): repository is string => typeof repository === 'string',
    );
  }

  /** At start: every deployment that may have moved while the bot was down is checked once. */
  async markTrackedDue(now: Date): Promise<number> {
    const result = await this.deployments.updateMany(
      { status: { $in: TRACKED_STATUSES } },
      { $set: { nextCheckAt: now } },
    );
    return result.modifiedCount;
  }
}
