import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment, DeploymentStatus, GithubDeploymentState } from '../deployments/deployment';
import { absentOrBy, changed, ProjectionLease } from '../deployments/deployment-leases.repository';
import type { OutboxStore } from '../deployments/outbox-worker';
import { Stored, toDomain } from '../deployments/deployment.mapping';
import { DeploymentDocument } from '../deployments/deployment.schema';

/**
 * Statuses with nothing to tell GitHub yet: held before dispatch, or being dispatched (the
 * dispatcher creates GitHub's deployment itself, just before the workflow dispatch).
 */
const NOTHING_TO_TELL: DeploymentStatus[] = [
  'awaiting_checks',
  'checks_failed',
  'pending_approval',
  'approved',
  'dispatching',
];

/** How far GitHub's record of one deployment has caught up with it. */
export interface GithubSyncState {
  /** The deployment status GitHub's record was last brought up to. */
  syncedStatus?: DeploymentStatus;
  /** Consecutive failed attempts (failures that may pass). */
  attempts: number;
  /** A successful rollback has marked the deployment it replaced inactive. */
  replacedInactive: boolean;
  /** This worker's lease: what it records counts only while the lease is still its own. */
  lease?: string;
}

export interface GithubSyncResult {
  /** The status now reflected on GitHub (or given up on). */
  syncedStatus?: DeploymentStatus;
  state?: GithubDeploymentState;
  replacedInactive?: boolean;
  /** Something failed for a reason that may pass: look again then. */
  retryAt?: Date;
  /** Nothing more will be posted for this deployment. */
  close?: boolean;
}

/** A claimed deployment, and how far GitHub's record of it has caught up. */
export type GithubClaim = { deployment: Deployment; state: GithubSyncState };

const LEASE_FIELDS = { owner: 'ghSync.lease', until: 'ghSync.leaseUntil' };

const due = (now: Date) => ({
  'ghSync.open': true,
  status: { $nin: NOTHING_TO_TELL },
  $expr: { $ne: ['$ghSync.syncedStatus', '$status'] },
  $and: [absentOrBy(LEASE_FIELDS.until, now), absentOrBy('ghSync.retryAt', now)],
});

/**
 * GitHub's side of deployments (an outbox, like the Discord one): which deployments recorded on
 * GitHub's Deployments API have moved since their last deployment status, and a lease so one
 * worker of one instance at a time posts it. It writes only that projection (GitHub's id, the
 * state last posted, a note when GitHub's record failed), never the deployment's life.
 */
@Injectable()
export class DeploymentGithubStore implements OutboxStore<GithubClaim> {
  private readonly lease: ProjectionLease;

  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {
    this.lease = new ProjectionLease(deployments, LEASE_FIELDS);
  }

  /** Deployments whose GitHub record is behind, oldest change first. */
  async findDue(now: Date, limit: number): Promise<string[]> {
    const docs = await this.deployments
      .find(due(now), { _id: 1 })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: string }>>();
    return docs.map((doc) => doc._id);
  }

  /** Extends the lease `lease` names, while it is still held; false when it is not. */
  renew(id: string, lease: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.lease.renew(id, lease, now, leaseMs);
  }

  /** Gives the lease back unused (the instance stops). */
  release(id: string, lease: string): Promise<void> {
    return this.lease.release(id, lease);
  }

  /**
   * Takes the deployment's GitHub lease, under the name `lease` (`<instance id>#<n>`), when its
   * record is behind and no one holds it.
   */
  async claim(id: string, now: Date, leaseMs: number, lease: string): Promise<GithubClaim | null> {
    const doc = await this.deployments
      .findOneAndUpdate(
        { _id: id, ...due(now) },
        { $set: this.lease.take(now, leaseMs, lease) },
        { returnDocument: 'after', projection: { deliveryIds: 0 } },
      )
      .lean<Stored & { ghSync?: Partial<GithubSyncState> }>();
    if (!doc) return null;
    return {
      deployment: toDomain(doc)!,
      state: {
        syncedStatus: doc.ghSync?.syncedStatus,
        attempts: doc.ghSync?.attempts ?? 0,
        replacedInactive: doc.ghSync?.replacedInactive ?? false,
        lease,
      },
    };
  }

  /**
   * GitHub created the deployment: its id, kept once (a second id never replaces the first).
   * Returns the id the deployment has now: this one, or the one recorded before it.
   */
  async recordCreated(id: string, githubId: number): Promise<number | undefined> {
    const doc = await this.deployments
      .findOneAndUpdate(
        { _id: id, 'githubDeployment.id': { $exists: false } },
        { $set: { 'githubDeployment.id': githubId }, $unset: { 'githubDeployment.error': '' } },
        { returnDocument: 'after', projection: { 'githubDeployment.id': 1 } },
      )
      .lean<{ githubDeployment?: { id?: number } }>();
    if (doc) return doc.githubDeployment?.id;
    const kept = await this.deployments
      .findOne({ _id: id }, { 'githubDeployment.id': 1 })
      .lean<{ githubDeployment?: { id?: number } }>();
    return kept?.githubDeployment?.id;
  }

  /** GitHub's record failed for good: noted for people to see (the message shows it). */
  async recordError(id: string, error: string, at: Date): Promise<void> {
    const { $set, $inc } = changed(at);
    await this.deployments.updateOne(
      { _id: id },
      { $set: { ...$set, 'githubDeployment.error': error }, $inc },
    );
  }

  /**
   * Records what was posted and gives the lease back, only while the lease is still this
   * worker's: one that overran it (a slow GitHub) records nothing over its successor.
   */
  async finish(id: string, state: GithubSyncState, result: GithubSyncResult): Promise<void> {
    const set: Record<string, unknown> = {
      'ghSync.attempts': result.retryAt ? state.attempts + 1 : 0,
    };
    const unset: Record<string, ''> = { 'ghSync.leaseUntil': '', 'ghSync.lease': '' };
    if (result.syncedStatus) set['ghSync.syncedStatus'] = result.syncedStatus;
    if (result.state) set['githubDeployment.state'] = result.state;
    if (result.replacedInactive) set['ghSync.replacedInactive'] = true;
    if (result.retryAt) set['ghSync.retryAt'] = result.retryAt;
    else unset['ghSync.retryAt'] = '';
    if (result.close) unset['ghSync.open'] = '';
    await this.deployments.updateOne(
      { _id: id, 'ghSync.lease': state.lease },
      { $set: set, $unset: unset },
    );
  }
}
