import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import {
  Approval,
  Deployment,
  DeploymentStatus,
  IN_FLIGHT_STATUSES,
  isTerminal,
  Person,
  statusesBefore,
  TERMINAL_STATUSES,
  TRACKED_STATUSES,
} from './deployment';
import { DeploymentDocument } from './deployment.schema';
import { duplicateKeyField } from '../../libs/mongo-errors';
import { Stored, toDomain } from './deployment.mapping';

/** What the tracker needs beyond the domain record. */
export interface TrackedDeployment extends Deployment {
  etag?: string;
}

/** Where a webhook delivery says its run comes from. */
export interface DeliveryOrigin {
  /** `owner/repo` */
  repository: string;
  workflowId?: number;
  /** `.github/workflows/deploy.yml` */
  workflowPath?: string;
}

export type InsertOutcome =
  { inserted: true } | { inserted: false; reason: 'locked' | 'cap' | 'id' };
export type ApprovalOutcome =
  /** An approval that counts; more are needed. */
  | { outcome: 'recorded'; deployment: Deployment }
  /** The approval that completed the request: it is approved. */
  | { outcome: 'approved'; deployment: Deployment }
  /** The request changed (or expired) meanwhile: read it again. */
  | { outcome: 'raced' }
  | { outcome: 'locked' | 'cap' };

/** Recent webhook delivery ids kept per deployment, to recognise redeliveries. */
const KEPT_DELIVERY_IDS = 50;
const EPOCH = new Date(0);

export const lockKeyOf = (service: string, environment: string) => `${service}:${environment}`;

/** The stored form of a new deployment: its id as `_id`, and the repository webhooks must match. */
function storedForm(deployment: Deployment) {
  const { id, ...fields } = deployment;
  const source = deployment.source;
  return {
    _id: id,
    ...fields,
    ...(source ? { repository: `${source.owner}/${source.repo}`.toLowerCase() } : {}),
    ...changed(deployment.createdAt).$set,
    version: 1,
    // A rollback has to mark what it went over once it succeeds: until that is done, it says so.
    ...(deployment.rollback ? { supersedePending: true } : {}),
  };
}

/**
 * What every change that people can see adds to its update: a new version, and a due date for
 * the deployment's Discord message (and announcements) to catch up with it.
 */
export function changed(at: Date) {
  return { $set: { updatedAt: at, syncDueAt: at }, $inc: { version: 1 } };
}

/**
 * Deployments in motion: inserts, transitions, claims and tracking. Every state change is one
 * atomic update. Reads of the past are in DeploymentHistory.
 */
@Injectable()
export class DeploymentRepository {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /**
   * Inserts an in-flight deployment holding its target's lock and one of `maxConcurrent` slots,
   * in one insert: the unique indexes on lockKey and slot make both claims atomic.
   */
  async insertInFlight(
    deployment: Deployment,
    maxConcurrent: number,
    tracking: { leaseUntil: Date; nextCheckAt: Date },
  ): Promise<InsertOutcome> {
    for (let slot = 0; slot < maxConcurrent; slot++) {
      try {
        await this.deployments.create({
          ...storedForm(deployment),
          lockKey: lockKeyOf(deployment.service, deployment.environment),
          slot,
          ...tracking,
        });
        return { inserted: true };
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === 'lockKey') return { inserted: false, reason: 'locked' };
        if (key === '_id') return { inserted: false, reason: 'id' };
        if (key === 'slot') continue;
        throw error;
      }
    }
    return { inserted: false, reason: 'cap' };
  }

  /** A deployment that holds no lock yet (a pending approval). False when the id is taken. */
  async insertPending(deployment: Deployment): Promise<boolean> {
    try {
      await this.deployments.create(storedForm(deployment));
      return true;
    } catch (error) {
      if (duplicateKeyField(error) === '_id') return false;
      throw error;
    }
  }

  /**
   * Records `approver`'s approval on a pending request that has not expired, in one atomic update
   * that expects the approvals seen so far (`seen`): another approval or a decision made
   * meanwhile makes it match nothing (`raced`: read again). The approval that completes the
   * request is the decision itself: the same update moves it to approved, names the approver as
   * the decider, and takes the target's lock and a concurrency slot, so the approvers listed and
   * the decider recorded are always the same people.
   */
  async recordApproval(
    id: string,
    approver: Approval,
    seen: number,
    decision: { maxConcurrent: number; tracking: { leaseUntil: Date; nextCheckAt: Date } } | null,
  ): Promise<ApprovalOutcome> {
    const filter = {
      _id: id,
      status: 'pending_approval',
      'approval.expiresAt': { $gt: approver.at },
      'approval.approvals.id': { $ne: approver.id },
      'approval.approvals': { $size: seen },
    };
    const person = { id: approver.id, name: approver.name };
    if (!decision) {
      const updated = await this.deployments
        .findOneAndUpdate(
          filter,
          { $push: { 'approval.approvals': approver }, ...changed(approver.at) },
          { returnDocument: 'after' },
        )
        .lean<Stored>();
      return updated
        ? { outcome: 'recorded', deployment: toDomain(updated)! }
        : { outcome: 'raced' };
    }
    const target = await this.deployments
      .findOne({ _id: id }, { service: 1, environment: 1 })
      .lean<Stored>();
    if (!target) return { outcome: 'raced' };
    for (let slot = 0; slot < decision.maxConcurrent; slot++) {
      try {
        const updated = await this.deployments
          .findOneAndUpdate(
            filter,
            {
              $inc: { version: 1 },
              $set: {
                status: 'approved',
                ...changed(approver.at).$set,
                lockKey: lockKeyOf(target.service, target.environment),
                slot,
                'approval.decidedBy': person,
                'approval.decidedAt': approver.at,
                ...decision.tracking,
              },
              $push: {
                'approval.approvals': approver,
                transitions: { status: 'approved', at: approver.at, by: person },
              },
            },
            { returnDocument: 'after' },
          )
          .lean<Stored>();
        return updated
          ? { outcome: 'approved', deployment: toDomain(updated)! }
          : { outcome: 'raced' };
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === 'lockKey') return { outcome: 'locked' };
        if (key === 'slot') continue;
        throw error;
      }
    }
    return { outcome: 'cap' };
  }

  /** Pending requests whose time is up, oldest first. */
  async findExpiredPending(now: Date, limit = 50): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ status: 'pending_approval', 'approval.expiresAt': { $lte: now } })
      .sort({ 'approval.expiresAt': 1 })
      .limit(limit)
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  /** A successful deployment to the target, by id or by (a prefix of at least 7 of) its SHA. */
  /**
   * After a successful rollback: the successful deployments to the target that finished after
   * the one it put back are marked as rolled back over, so the next rollback goes further back.
   */
  async markSuperseded(rollback: Deployment, target: Deployment): Promise<number> {
    const result = await this.deployments.updateMany(
      {
        service: rollback.service,
        environment: rollback.environment,
        status: 'success',
        _id: { $ne: rollback.id },
        finishedAt: { $gt: target.finishedAt, $lt: rollback.finishedAt ?? new Date() },
        supersededBy: { $exists: false },
      },
      { $set: { supersededBy: rollback.id } },
    );
    return result.modifiedCount;
  }

  /** Successful rollbacks, oldest first: their superseding is re-applied at start. */
  /** Newest first, for /history. */
  /** Requests waiting for approval for the target. */
  /** Ended rollbacks whose superseding is still to do (or to forget, for one that failed). */
  async findRollbacksToSettle(): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ supersedePending: true, status: { $in: TERMINAL_STATUSES } })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  async clearSupersedePending(id: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $unset: { supersedePending: '' } });
  }

  /** True once per deployment: whoever gets true tells the requester GitHub has not started the run. */
  async claimWatchdogNotice(id: string, at = new Date()): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { _id: id, watchdogNotifiedAt: { $exists: false } },
          { $set: { watchdogNotifiedAt: at, syncDueAt: at }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

  /** The service's newest successful deployment, to any environment. */
  /** The newest successful deployment to the target: what is deployed there now. */
  async findById(id: string): Promise<Deployment | null> {
    return toDomain(await this.deployments.findById(id).lean<Stored>());
  }

  async findByRunId(runId: number): Promise<Deployment | null> {
    return toDomain(await this.deployments.findOne({ runId }).lean<Stored>());
  }

  async findInFlightForTarget(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments.findOne({ lockKey: lockKeyOf(service, environment) }).lean<Stored>(),
    );
  }

  async listInFlight(): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ status: { $in: IN_FLIGHT_STATUSES } })
      .sort({ createdAt: 1 })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  async countInFlight(): Promise<number> {
    return this.deployments.countDocuments({ status: { $in: IN_FLIGHT_STATUSES } });
  }

  /** In flight, or waiting for an approval that would put it in flight. */
  async findActiveForService(service: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ service, status: { $in: [...IN_FLIGHT_STATUSES, 'pending_approval'] } })
        .lean<Stored>(),
    );
  }

  /**
   * Moves the deployment to `to` if it is still in one of `from` (by default: any status before
   * `to`, so nothing moves backwards and a terminal status never changes). A terminal status
   * releases the target's lock and the concurrency slot in the same update. Returns the updated
   * deployment, or null when another change got there first.
   */
  async transition(
    id: string,
    to: DeploymentStatus,
    options: {
      from?: DeploymentStatus[];
      set?: Partial<Deployment>;
      by?: Person;
      note?: string;
      tracking?: { nextCheckAt?: Date; etag?: string };
      /** The caller holds the check lease (dispatcher, poller) and gives it up with this change. */
      releaseLease?: boolean;
      at?: Date;
      /** Only while the approval request has not expired (a cancellation). */
      unexpired?: boolean;
    } = {},
  ): Promise<Deployment | null> {
    const at = options.at ?? new Date();
    const set: Record<string, unknown> = {
      ...options.set,
      ...options.tracking,
      status: to,
      ...changed(at).$set,
      leaseUntil: EPOCH,
    };
    const unset: Record<string, ''> = {};
    if (isTerminal(to)) {
      set.finishedAt = at;
      unset.lockKey = '';
      unset.slot = '';
      unset.nextCheckAt = '';
    }
    const transition = {
      status: to,
      at,
      ...(options.by ? { by: options.by } : {}),
      ...(options.note ? { note: options.note } : {}),
    };
    const updated = await this.deployments
      .findOneAndUpdate(
        {
          _id: id,
          status: { $in: options.from ?? statusesBefore(to) },
          ...(options.unexpired ? { 'approval.expiresAt': { $gt: at } } : {}),
        },
        {
          $set: set,
          $inc: { version: 1 },
          ...(Object.keys(unset).length ? { $unset: unset } : {}),
          $push: { transitions: transition },
        },
        { returnDocument: 'after' },
      )
      .lean<Stored>();
    return toDomain(updated);
  }

  async attachMessage(id: string, channelId: string, messageId: string): Promise<void> {
    await this.deployments.updateOne(
      { _id: id },
      { $set: { channelId, messageId, syncDueAt: new Date() }, $inc: { version: 1 } },
    );
  }

  /** A run belongs to one deployment: false when another deployment holds it already. */
  async claimRun(id: string, runId: number, runUrl: string): Promise<boolean> {
    try {
      const result = await this.deployments.updateOne(
        { _id: id, runId: { $exists: false } },
        { $set: { runId, runUrl, ...changed(new Date()).$set }, $inc: { version: 1 } },
      );
      return result.modifiedCount === 1;
    } catch (error) {
      if (duplicateKeyField(error) === 'runId') return false;
      throw error;
    }
  }

  /**
   * Notes a webhook delivery on the deployment of its run, in one update that also reads it:
   * 'duplicate' when that delivery id was seen already, null when no deployment has the run or
   * the delivery's repository or workflow is not the deployment's.
   */
  async recordDelivery(
    runId: number,
    deliveryId: string,
    origin: DeliveryOrigin,
  ): Promise<Deployment | 'duplicate' | null> {
    const workflows = [
      ...(origin.workflowId !== undefined ? [String(origin.workflowId)] : []),
      ...(origin.workflowPath ? [origin.workflowPath.split('/').pop()!] : []),
    ];
    const match = {
      runId,
      repository: origin.repository.toLowerCase(),
      'source.workflow': { $in: workflows },
    };
    // The webhook hot path: one driver round trip, no schema casting, no history in the answer.
    const before = await this.deployments.collection.findOneAndUpdate(
      { ...match, deliveryIds: { $ne: deliveryId } },
      {
        $push: { deliveryIds: { $each: [deliveryId], $slice: -KEPT_DELIVERY_IDS } },
      } as unknown as mongo.UpdateFilter<mongo.Document>,
      { returnDocument: 'before', projection: { deliveryIds: 0, transitions: 0 } },
    );
    if (before) return toDomain({ ...(before as unknown as Stored), transitions: [] });
    return (await this.deployments.exists(match)) ? 'duplicate' : null;
  }

  async forgetDelivery(id: string, deliveryId: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $pull: { deliveryIds: deliveryId } });
  }

  /** Run ids some deployment already holds, among `runIds`. */
  async claimedRunIds(runIds: number[]): Promise<Set<number>> {
    const docs = await this.deployments
      .find({ runId: { $in: runIds } }, { runId: 1 })
      .lean<Array<{ runId: number }>>();
    return new Set(docs.map((doc) => doc.runId));
  }

  /** GitHub's own conclusion, recorded beside a status that ended first (a timeout). */
  async recordRunConclusion(id: string, conclusion: string, at: Date): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { _id: id, runConclusion: { $exists: false } },
          {
            $set: { runConclusion: conclusion, runCompletedAt: at, ...changed(new Date()).$set },
            $inc: { version: 1 },
            $unset: { nextCheckAt: '' },
          },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

  /**
   * Claims the deployment whose check is most overdue, for `leaseMs`: two workers (in this
   * process or another instance) never track the same deployment at once.
   */
  async claimDueCheck(
    now: Date,
    leaseMs: number,
    statuses: DeploymentStatus[] = [...TRACKED_STATUSES, 'timed_out'],
  ): Promise<TrackedDeployment | null> {
    const doc = await this.deployments
      .findOneAndUpdate(
        {
          status: { $in: statuses },
          nextCheckAt: { $lte: now },
          $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lte: now } }],
        },
        { $set: { leaseUntil: new Date(now.getTime() + leaseMs) } },
        { sort: { nextCheckAt: 1 }, returnDocument: 'after' },
      )
      .lean<Stored>();
    if (!doc) return null;
    return { ...toDomain(doc)!, etag: doc.etag as string | undefined };
  }

  /** Ends a check without a status change: when to look next, and what GitHub last said. */
  async releaseCheck(id: string, nextCheckAt: Date | null, etag?: string): Promise<void> {
    const set: Record<string, unknown> = { leaseUntil: EPOCH };
    if (etag) set.etag = etag;
    if (nextCheckAt) set.nextCheckAt = nextCheckAt;
    await this.deployments.updateOne(
      { _id: id },
      { $set: set, ...(nextCheckAt ? {} : { $unset: { nextCheckAt: '' } }) },
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
