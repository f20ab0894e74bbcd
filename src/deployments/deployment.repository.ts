import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { duplicateKeyField } from '../../libs/mongo-errors';
import {
  Deployment,
  DeploymentStatus,
  GATED_STATUSES,
  isTerminal,
  Person,
  statusesBefore,
  TERMINAL_STATUSES,
} from './deployment';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';
import { slotsToTry } from './deployment-slots.repository';

export type InsertOutcome = { inserted: true } | { inserted: false; reason: 'busy' | 'cap' | 'id' };

/**
 * The check lease a deployment put in flight is born with: its dispatcher (`leaseOwner`) holds it
 * until `leaseUntil`; past that, the tracker takes it over and looks for the run.
 */
export interface FlightLease {
  leaseUntil: Date;
  nextCheckAt: Date;
  leaseOwner?: string;
}
const EPOCH = new Date(0);

/** While a deployment is in flight its target is busy: `service:environment`, unique. */
export const busyTargetOf = (service: string, environment: string) => `${service}:${environment}`;

/** The stored form of a new deployment: its id as `_id`, and the repository webhooks must match. */
export function storedForm(deployment: Deployment) {
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
    // Recorded on GitHub's Deployments API: its statuses follow the deployment's (see
    // DeploymentGithubStore) until a final one is posted.
    ...(deployment.githubDeployment ? { ghSync: { open: true } } : {}),
  };
}

import { changed } from './deployment-leases.repository';

/**
 * The deployment's life in MongoDB: inserts, moves and the claims that go with them. Every
 * change is one atomic update that names the state it expects. Only the kernel's
 * DeploymentTransitions calls these; reads are in DeploymentHistory, the tracking store's leases
 * in DeploymentTrackingStore.
 */
@Injectable()
export class DeploymentRepository implements OnModuleInit {
  private readonly logger = new Logger('Deployments');

  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /** Records made before the in-flight marker was named `busyTarget` get the new name. */
  async onModuleInit(): Promise<void> {
    const renamed = await this.deployments.collection
      .updateMany({ lockKey: { $exists: true } }, { $rename: { lockKey: 'busyTarget' } })
      .catch((error: Error) => this.logger.warn(`Renaming lockKey failed: ${error.message}`));
    if (renamed?.modifiedCount)
      this.logger.log(`${renamed.modifiedCount} deployment(s) in flight took the new field name`);
  }

  /**
   * Inserts an in-flight deployment that makes its target busy and holds one of `maxConcurrent`
   * slots, in one insert: the unique indexes on busyTarget and slot make both claims atomic.
   */
  async insertInFlight(
    deployment: Deployment,
    maxConcurrent: number,
    tracking: FlightLease,
  ): Promise<InsertOutcome> {
    for (const slot of await slotsToTry(this.deployments, maxConcurrent)) {
      try {
        await this.deployments.create({
          ...storedForm(deployment),
          busyTarget: busyTargetOf(deployment.service, deployment.environment),
          slot,
          ...tracking,
        });
        return { inserted: true };
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === 'busyTarget') return { inserted: false, reason: 'busy' };
        if (key === '_id') return { inserted: false, reason: 'id' };
        if (key === 'slot') continue;
        throw error;
      }
    }
    return { inserted: false, reason: 'cap' };
  }

  /**
   * A run started on GitHub, recorded as it is (in flight or ended): GitHub runs it whatever the
   * bot thinks, so it is never refused. In flight, it makes its target busy when nothing else
   * does (a /deploy then waits for it) and holds no concurrency slot. False when the id is taken.
   */
  async insertObserved(deployment: Deployment, nextCheckAt?: Date): Promise<boolean> {
    const base = { ...storedForm(deployment), ...(nextCheckAt ? { nextCheckAt } : {}) };
    const busy = nextCheckAt
      ? { busyTarget: busyTargetOf(deployment.service, deployment.environment) }
      : {};
    for (const extra of [busy, {}]) {
      try {
        await this.deployments.create({ ...base, ...extra });
        return true;
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === '_id') return false;
        if (key !== 'busyTarget') throw error;
      }
    }
    return false;
  }

  /**
   * A re-run keeps its run's id: the ended deployment of the earlier attempt lets it go, so the
   * new attempt's deployment can follow it. Only an ended deployment gives its run up.
   */
  async releaseEndedRun(runId: number, keptBy: string, at: Date): Promise<void> {
    await this.deployments.updateOne(
      { runId, _id: { $ne: keptBy }, status: { $in: TERMINAL_STATUSES } },
      { $unset: { runId: '' }, $set: changed(at).$set },
    );
  }

  /** A deployment that holds nothing yet (a pending approval). False when the id is taken. */
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
   * Moves the deployment to `to` if it is still in one of `from` (by default: any status before
   * `to`, so nothing moves backwards and a terminal status never changes). A terminal status
   * frees the target and the concurrency slot in the same update. Returns the updated
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
      /**
       * The owner of the check lease the caller holds (dispatcher, poller), given up with this
       * change while that owner still holds it (a worker whose lease was taken over frees
       * nothing); otherwise (a webhook, a click) whoever holds it keeps it.
       */
      releaseLease?: string;
      at: Date;
      /** Only while the approval request has not expired (a cancellation). */
      unexpired?: boolean;
      /** Lets the run go (another deployment takes it): the run id stays in `origin`. */
      unsetRun?: boolean;
    },
  ): Promise<Deployment | null> {
    const { at } = options;
    const set: Record<string, unknown> = {
      ...options.set,
      ...options.tracking,
      status: to,
      ...changed(at).$set,
    };
    const unset: Record<string, ''> = {};
    // Leaving the CI gate gives up its places there.
    if (!GATED_STATUSES.includes(to)) {
      unset.heldTarget = '';
      unset.heldSlot = '';
    }
    if (isTerminal(to)) {
      set.finishedAt = at;
      unset.busyTarget = '';
      unset.slot = '';
      unset.nextCheckAt = '';
    }
    if (options.unsetRun) unset.runId = '';
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
    if (updated && options.releaseLease) await this.releaseLease(id, options.releaseLease);
    return toDomain(updated);
  }

  /**
   * Ends the check lease `owner` holds, if it still does: the next check may be claimed at once.
   * Apart from the move it follows, so a stale worker's move never frees its successor's lease.
   */
  private async releaseLease(id: string, owner: string): Promise<void> {
    await this.deployments.updateOne(
      { _id: id, leaseOwner: owner },
      { $set: { leaseUntil: EPOCH } },
    );
  }

  async attachMessage(
    id: string,
    channelId: string,
    messageId: string,
    at: Date,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { _id: id },
          { $set: { channelId, messageId, syncDueAt: at }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

  /** GitHub's own conclusion, recorded beside a status that ended first (a timeout). */
  /**
   * Marks a successful deployment faulty, once, while it is at most `since` old (finished at or
   * after it); null when it is not (another report came first, it did not succeed, too old).
   */
  async reportFault(id: string, by: Person, since: Date, at: Date): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          {
            _id: id,
            status: 'success',
            fault: { $exists: false },
            'rollback.of': { $exists: false },
            finishedAt: { $gte: since },
          },
          { $set: { fault: { by, at }, ...changed(at).$set }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

  async recordRunConclusion(
    id: string,
    conclusion: string,
    completedAt: Date,
    at: Date,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { _id: id, runConclusion: { $exists: false } },
          {
            $set: { runConclusion: conclusion, runCompletedAt: completedAt, ...changed(at).$set },
            $inc: { version: 1 },
            $unset: { nextCheckAt: '' },
          },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

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
        finishedAt: { $gt: target.finishedAt, $lt: rollback.finishedAt ?? rollback.updatedAt },
        supersededBy: { $exists: false },
      },
      { $set: { supersededBy: rollback.id } },
    );
    return result.modifiedCount;
  }

  async clearSupersedePending(id: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $unset: { supersedePending: '' } });
  }

  async findById(id: string): Promise<Deployment | null> {
    return toDomain(await this.deployments.findById(id).lean<Stored>());
  }
}
