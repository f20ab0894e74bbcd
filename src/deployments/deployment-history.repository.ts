import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import {
  Deployment,
  DEPLOYMENT_ID,
  GATED_STATUSES,
  IN_FLIGHT_STATUSES,
  TERMINAL_STATUSES,
} from './deployment';
import type { VerificationState } from './deployment-details';
import { busyTargetOf } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';
import { Stored, toDomain } from './deployment.mapping';

/** A finished deployment as the delivery metrics count it: the record without what they ignore. */
export interface DeliveryFact {
  id: string;
  environment: string;
  ref: string;
  sha: string;
  status: Deployment['status'];
  requester: string;
  createdAt: Date;
  finishedAt: Date;
  /** A rollback: the deployment it replaced. */
  rollbackOf?: string;
  hotfix?: boolean;
  verification?: VerificationState;
  faultAt?: Date;
  /** Started on GitHub rather than from Discord. */
  github?: boolean;
  runUrl?: string;
}

/**
 * Reads: what is in flight or pending, what runs where, the history, and what a rollback can go
 * back to. Any feature may read; only the kernel writes.
 */
@Injectable()
export class DeploymentHistory {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /** Whether MongoDB is connected now (background work waits while it is away). */
  connected(): boolean {
    return this.deployments.db.readyState === 1;
  }

  /**
   * The newest successful deployment to the target whose SHA differs from `currentSha`, among
   * those not rolled back over: what a rollback puts back.
   */
  async findRollbackTarget(
    service: string,
    environment: string,
    currentSha: string,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          service,
          environment,
          status: 'success',
          sha: { $ne: currentSha },
          supersededBy: { $exists: false },
        })
        .sort({ finishedAt: -1, createdAt: -1 })
        .lean<Stored>(),
    );
  }

  /** A successful deployment to the target, by its id or (a prefix of) its SHA. */
  async findSuccessful(
    service: string,
    environment: string,
    idOrSha: string,
  ): Promise<Deployment | null> {
    const value = idOrSha.trim().toLowerCase();
    const match = DEPLOYMENT_ID.test(value)
      ? { _id: value }
      : /^[0-9a-f]{7,40}$/.test(value)
        ? { sha: { $regex: `^${value}` } }
        : null;
    if (!match) return null;
    return toDomain(
      await this.deployments
        .findOne({ service, environment, status: 'success', ...match })
        .sort({ finishedAt: -1 })
        .lean<Stored>(),
    );
  }

  /** A deployment to the target requested after `after` that was dispatched (not refused), if any. */
  async findDispatchedSince(
    service: string,
    environment: string,
    after: Date,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          service,
          environment,
          createdAt: { $gt: after },
          dispatchRequestedAt: { $exists: true },
          // One GitHub refused put nothing on the target.
          status: { $ne: 'dispatch_failed' },
        })
        .sort({ createdAt: -1 })
        .lean<Stored>(),
    );
  }

  /**
   * Whether `sha` was deployed successfully to the target and not rolled back (promotion order).
   * A success is rolled back once a later successful rollback marks it; until that marking is
   * done (a rollback that just succeeded, `supersedePending`), a success older than such a
   * rollback counts as rolled back already.
   */
  async hasSucceeded(service: string, environment: string, sha: string): Promise<boolean> {
    const success = await this.deployments
      .findOne(
        { service, environment, sha, status: 'success', supersededBy: { $exists: false } },
        { finishedAt: 1 },
      )
      .sort({ finishedAt: -1 })
      .lean<{ finishedAt?: Date }>();
    if (!success) return false;
    const unmarkedRollback = await this.deployments.exists({
      service,
      environment,
      status: 'success',
      supersedePending: true,
      sha: { $ne: sha },
      finishedAt: { $gt: success.finishedAt ?? new Date(0) },
    });
    return !unmarkedRollback;
  }

  /**
   * The service's deployments to `environments` that finished in [from, to), oldest first, at
   * most `limit` (one more tells the caller there were too many). Indexed by service and finish.
   */
  async findFinishedBetween(
    service: string,
    environments: string[],
    from: Date,
    to: Date,
    limit: number,
    { newestFirst = false } = {},
  ): Promise<DeliveryFact[]> {
    const docs = await this.deployments
      .find(
        { service, finishedAt: { $gte: from, $lt: to }, environment: { $in: environments } },
        {
          environment: 1,
          ref: 1,
          sha: 1,
          status: 1,
          'requester.name': 1,
          createdAt: 1,
          finishedAt: 1,
          'rollback.of': 1,
          hotfix: 1,
          'verification.state': 1,
          'fault.at': 1,
          'origin.kind': 1,
          runUrl: 1,
        },
      )
      .sort({ finishedAt: newestFirst ? -1 : 1 })
      .limit(limit + 1)
      .lean<Stored[]>();
    return docs.map((doc) => ({
      id: doc._id,
      environment: doc.environment,
      ref: doc.ref,
      sha: doc.sha,
      status: doc.status,
      requester: doc.requester?.name ?? '',
      createdAt: doc.createdAt,
      finishedAt: doc.finishedAt!,
      ...(doc.rollback?.of ? { rollbackOf: doc.rollback.of } : {}),
      ...(doc.hotfix ? { hotfix: true } : {}),
      ...(doc.verification?.state ? { verification: doc.verification.state } : {}),
      ...(doc.fault?.at ? { faultAt: doc.fault.at } : {}),
      ...(doc.origin?.kind === 'github' ? { github: true } : {}),
      ...(doc.runUrl ? { runUrl: doc.runUrl } : {}),
    }));
  }

  /** The target's last successful deployment that finished before `before`: what ran before it. */
  async findSuccessBefore(
    service: string,
    environment: string,
    before: Date,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne(
          { service, environment, status: 'success', finishedAt: { $lt: before } },
          { transitions: 0, deliveryIds: 0, jobDeliveryIds: 0, jobs: 0 },
        )
        .sort({ finishedAt: -1 })
        .lean<Stored>(),
    );
  }

  /** The requests a member has waiting at the CI gate (by their places there). */
  async findHeldBy(memberId: string, places: number): Promise<Deployment[]> {
    const slots = Array.from({ length: places }, (_, place) => `${memberId}#${place}`);
    const docs = await this.deployments
      .find({ heldSlot: { $in: slots } }, { deliveryIds: 0, transitions: 0 })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain({ ...doc, transitions: [] })!);
  }

  /** The newest deployments of a service (to one environment, or all), for /history. */
  async listHistory(
    service: string,
    environment: string | undefined,
    limit: number,
  ): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ service, ...(environment ? { environment } : {}) }, { deliveryIds: 0 })
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  /** Requests waiting for approval on the target, oldest first. */
  async listPendingForTarget(service: string, environment: string): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ service, environment, status: 'pending_approval' })
      .sort({ createdAt: 1 })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  /** The service's latest success anywhere: where a rollback without an environment goes. */
  async findLastSuccessfulOfService(service: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ service, status: 'success' })
        .sort({ finishedAt: -1 })
        .lean<Stored>(),
    );
  }

  /** What runs on the target now: its latest success. */
  async findLastSuccessful(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ service, environment, status: 'success' })
        .sort({ finishedAt: -1, createdAt: -1 })
        .lean<Stored>(),
    );
  }

  async findById(id: string): Promise<Deployment | null> {
    return toDomain(await this.deployments.findById(id).lean<Stored>());
  }

  /** The deployment following GitHub run `runId`, if one does. */
  /** The deployment a queue entry was admitted as, if it was. */
  async findByQueueEntry(entryId: string): Promise<Deployment | null> {
    return toDomain(await this.deployments.findOne({ 'queued.entryId': entryId }).lean<Stored>());
  }

  async findByRunId(runId: number): Promise<Deployment | null> {
    return toDomain(await this.deployments.findOne({ runId }).lean<Stored>());
  }

  /** The request GitHub's question about run `runId` and `environment` opened since `since`, if any. */
  async findStartedOnGithub(
    runId: number,
    environment: string,
    since = new Date(0),
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          'origin.runId': runId,
          'origin.gated': true,
          environment,
          createdAt: { $gte: since },
        })
        .sort({ createdAt: -1 })
        .lean<Stored>(),
    );
  }

  /** A request GitHub's question about run `runId` opened that has not ended yet, if any. */
  async findUnfinishedStartedOnGithub(runId: number): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          'origin.runId': runId,
          'origin.gated': true,
          status: { $nin: TERMINAL_STATUSES },
        })
        .lean<Stored>(),
    );
  }

  /**
   * Whether a deployment knows this attempt of run `runId`: one following the run still, or one
   * (following it, or started on GitHub) of this attempt or a later one. A re-run (a later
   * attempt) of a run whose deployments have ended is new.
   */
  async knowsRun(runId: number, attempt = 1): Promise<boolean> {
    const known = await this.deployments
      .find({ $or: [{ runId }, { 'origin.runId': runId }] }, { status: 1, 'origin.runAttempt': 1 })
      .lean<Array<Pick<Deployment, 'status' | 'origin'>>>();
    return known.some(
      (deployment) =>
        !TERMINAL_STATUSES.includes(deployment.status) ||
        (deployment.origin?.runAttempt ?? 1) >= attempt,
    );
  }

  /** A dispatch of the bot's to the target whose run is not known yet (it is being looked for). */
  async findLookingForRun(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          service,
          environment,
          status: { $in: ['dispatching', 'dispatch_unknown', 'dispatched'] },
          runId: { $exists: false },
          // A run started on GitHub knows its run: it is never looked for.
          origin: { $exists: false },
        })
        .lean<Stored>(),
    );
  }

  /** The deployment that makes the target busy, if any. */
  async findInFlightForTarget(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ busyTarget: busyTargetOf(service, environment) })
        .lean<Stored>(),
    );
  }

  /** Every deployment in flight, oldest first (what the cap refusal lists). */
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
        .findOne({
          service,
          status: { $in: [...IN_FLIGHT_STATUSES, ...GATED_STATUSES, 'pending_approval'] },
        })
        .lean<Stored>(),
    );
  }

  /** Pending requests whose time is up, oldest first. */
  /** Requests held at the CI gate whose time there is over. */
  async findGateExpired(now: Date, limit = 50): Promise<Deployment[]> {
    const found = await this.deployments
      .find({ status: { $in: GATED_STATUSES }, 'gate.waitUntil': { $lte: now } })
      .limit(limit)
      .lean<Stored[]>();
    return found.map((doc) => toDomain(doc)!);
  }

  async findExpiredPending(now: Date, limit = 50): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ status: 'pending_approval', 'approval.expiresAt': { $lte: now } })
      .sort({ 'approval.expiresAt': 1 })
      .limit(limit)
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  /** Ended rollbacks whose superseding is still to do (or to forget, for one that failed). */
  async findRollbacksToSettle(): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ supersedePending: true, status: { $in: TERMINAL_STATUSES } })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }
}
