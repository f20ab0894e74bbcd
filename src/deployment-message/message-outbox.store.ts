import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment } from '../deployments/deployment';
import { Stored, toDomain } from '../deployments/deployment.mapping';
import { ProjectionLease } from '../deployments/deployment-leases.repository';
import { DeploymentDocument } from '../deployments/deployment.schema';
import type { OutboxStore } from '../deployments/outbox-worker';

/** A claimed deployment, and how far its Discord side has caught up. */
export type OutboxClaim = { deployment: Deployment; state: SyncState };

/** How far the Discord side of one deployment has caught up with it. */
export interface SyncState {
  /** Who holds the lease (`<instance id>#<n>`). */
  owner: string;
  /** The deployment's version when this was read. */
  version: number;
  /** The version its message shows. */
  messageVersion: number;
  /** Consecutive failed attempts (transient failures), reset by a success. */
  attempts: number;
  /** Since when they have failed in a row (the first of those attempts). */
  failingSince?: Date;
  /** When the requester was mentioned about the watchdog notice. */
  watchdogMentionedAt?: Date;
  /** Why the outcome could not be posted to DEPLOY_CHANNEL_ID, when it never will be. */
  announcementFailed?: string;
  announcedAt?: Date;
}

export interface SyncResult {
  messageVersion?: number;
  messageLost?: { at: Date; reason: string };
  announcedAt?: Date;
  announcementFailed?: string;
  watchdogMentionedAt?: Date;
  /** Something failed for a reason that may pass: look again at this time. */
  retryAt?: Date;
  /** With `retryAt`: since when the failures have lasted. */
  failingSince?: Date;
  /** The failures were given up on: nothing more is tried until the next change. */
  gaveUp?: boolean;
}

/**
 * The Discord side of deployments (an outbox): which need their message edited or their outcome
 * posted (`syncDueAt`, set by every change the kernel makes), and a lease so one worker of one
 * instance at a time does it. It writes only that projection's own state (which version the
 * message shows, whether it was lost, whether the outcome was posted), never the deployment's
 * life. Atomic, single-document updates only.
 */
@Injectable()
export class DeploymentOutbox implements OutboxStore<OutboxClaim> {
  private readonly lease: ProjectionLease;

  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {
    this.lease = new ProjectionLease(deployments, {
      owner: 'sync.leaseOwner',
      until: 'sync.leaseUntil',
    });
  }

  /** Deployments whose Discord side is due, most overdue first. */
  async findDue(now: Date, limit: number): Promise<string[]> {
    const docs = await this.deployments
      .find(
        {
          syncDueAt: { $lte: now },
          ...this.lease.free(now),
        },
        { _id: 1 },
      )
      .sort({ syncDueAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: string }>>();
    return docs.map((doc) => doc._id);
  }

  /** Takes the deployment's sync lease for `owner`, when it is due and no one holds it. */
  async claim(id: string, now: Date, leaseMs: number, owner: string): Promise<OutboxClaim | null> {
    const doc = await this.deployments
      .findOneAndUpdate(
        {
          _id: id,
          syncDueAt: { $lte: now },
          ...this.lease.free(now),
        },
        { $set: this.lease.take(now, leaseMs, owner) },
        { returnDocument: 'after', projection: { deliveryIds: 0 } },
      )
      .lean<Stored & { version?: number; sync?: Partial<SyncState>; announcedAt?: Date }>();
    if (!doc) return null;
    return {
      deployment: toDomain(doc)!,
      state: {
        owner,
        version: doc.version ?? 0,
        messageVersion: doc.sync?.messageVersion ?? 0,
        attempts: doc.sync?.attempts ?? 0,
        failingSince: doc.sync?.failingSince,
        watchdogMentionedAt: doc.sync?.watchdogMentionedAt,
        announcementFailed: doc.sync?.announcementFailed,
        announcedAt: doc.announcedAt,
      },
    };
  }

  /** The deployment as stored now, and its version: what its message should show. */
  async latest(id: string): Promise<{ deployment: Deployment; version: number } | null> {
    const doc = await this.deployments
      .findById(id, { deliveryIds: 0, jobDeliveryIds: 0 })
      .lean<Stored & { version?: number }>();
    return doc ? { deployment: toDomain(doc)!, version: doc.version ?? 0 } : null;
  }

  /**
   * Extends the lease `owner` holds, for `leaseMs` from `now`; false when it no longer holds it
   * (it ran out and another worker took it): the worker must then send nothing more.
   */
  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.lease.renew(id, owner, now, leaseMs);
  }

  /** Gives the lease back unused (the instance stops): the deployment stays due for the next. */
  release(id: string, owner: string): Promise<void> {
    return this.lease.release(id, owner);
  }

  /**
   * Records what was done and gives the lease back, when the worker still holds it (a worker
   * whose lease was taken over records nothing: its successor sends again). True when the
   * Discord side has caught up with the version that was read and nothing is left to retry
   * (the deployment is then no longer due); false when it changed meanwhile, something waits
   * for a retry, or the lease was lost.
   */
  async finish(id: string, state: SyncState, result: SyncResult): Promise<boolean> {
    const set: Record<string, unknown> = {
      'sync.attempts': result.retryAt ? state.attempts + 1 : 0,
    };
    if (result.messageLost) set.messageLost = result.messageLost;
    if (result.announcedAt) set.announcedAt = result.announcedAt;
    if (result.announcementFailed) set['sync.announcementFailed'] = result.announcementFailed;
    if (result.watchdogMentionedAt) set['sync.watchdogMentionedAt'] = result.watchdogMentionedAt;
    if (result.retryAt) set.syncDueAt = result.retryAt;
    if (result.retryAt && result.failingSince) set['sync.failingSince'] = result.failingSince;
    const recorded = await this.deployments.updateOne(
      { _id: id, 'sync.leaseOwner': state.owner },
      {
        $set: set,
        $max: { 'sync.messageVersion': result.messageVersion ?? 0 },
        $unset: {
          'sync.leaseUntil': '',
          'sync.leaseOwner': '',
          ...(result.retryAt ? {} : { 'sync.failingSince': '' }),
        },
      },
    );
    if (recorded.matchedCount === 0 || result.retryAt) return false;
    const caughtUp = await this.deployments.updateOne(
      { _id: id, version: state.version },
      { $unset: { syncDueAt: '' } },
    );
    return caughtUp.modifiedCount === 1;
  }
}
