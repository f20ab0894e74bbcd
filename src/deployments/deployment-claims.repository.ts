import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { duplicateKeyField } from '../../libs/mongo-errors';
import { Approval, Deployment, DeploymentStatus, Person } from './deployment';
import { changed } from './deployment-leases.repository';
import { busyTargetOf, FlightLease } from './deployment.repository';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';
import { slotsToTry } from './deployment-slots.repository';

export type ApprovalOutcome =
  /** An approval that counts; more are needed. */
  | { outcome: 'recorded'; deployment: Deployment }
  /** The approval that completed the request: it is approved. */
  | { outcome: 'approved'; deployment: Deployment }
  /** The request changed (or expired) meanwhile: read it again. */
  | { outcome: 'raced' }
  | { outcome: 'locked' | 'cap' };

/**
 * The claims one caller wins however many try at once: an approval (and the decision it may
 * complete), a run, the watchdog's notice. Each is one atomic update that names the state it
 * expects. Only the kernel's DeploymentTransitions calls these.
 */
@Injectable()
export class DeploymentClaims {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

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
    decision: { maxConcurrent: number; tracking: FlightLease } | null,
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
    for (const slot of await slotsToTry(this.deployments, decision.maxConcurrent)) {
      try {
        const updated = await this.deployments
          .findOneAndUpdate(
            filter,
            {
              $inc: { version: 1 },
              $set: {
                status: 'approved',
                ...changed(approver.at).$set,
                busyTarget: busyTargetOf(target.service, target.environment),
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
        if (key === 'busyTarget') return { outcome: 'locked' };
        if (key === 'slot') continue;
        throw error;
      }
    }
    return { outcome: 'cap' };
  }

  /**
   * Puts a deployment held before flight (at the CI gate) in flight: `dispatching`, the target
   * busy and a concurrency slot taken, in one update that expects it still in one of `from`.
   * `busy` / `cap` when the target or the slots are taken; `raced` when it moved meanwhile.
   */
  async claimFlight(
    id: string,
    from: DeploymentStatus[],
    move: {
      maxConcurrent: number;
      tracking: FlightLease;
      set: Partial<Deployment>;
      by?: Person;
      note?: string;
      at: Date;
    },
  ): Promise<{ outcome: 'moved'; deployment: Deployment } | { outcome: 'raced' | 'busy' | 'cap' }> {
    const target = await this.deployments
      .findOne({ _id: id }, { service: 1, environment: 1 })
      .lean<Stored>();
    if (!target) return { outcome: 'raced' };
    const transition = {
      status: 'dispatching',
      at: move.at,
      ...(move.by ? { by: move.by } : {}),
      ...(move.note ? { note: move.note } : {}),
    };
    for (const slot of await slotsToTry(this.deployments, move.maxConcurrent)) {
      try {
        const updated = await this.deployments
          .findOneAndUpdate(
            { _id: id, status: { $in: from } },
            {
              $inc: { version: 1 },
              $set: {
                ...move.set,
                status: 'dispatching',
                dispatchRequestedAt: move.at,
                ...changed(move.at).$set,
                busyTarget: busyTargetOf(target.service, target.environment),
                slot,
                ...move.tracking,
              },
              $push: { transitions: transition },
              // Out of the CI gate: its places there are free.
              $unset: { heldTarget: '', heldSlot: '' },
            },
            { returnDocument: 'after' },
          )
          .lean<Stored>();
        return updated
          ? { outcome: 'moved', deployment: toDomain(updated)! }
          : { outcome: 'raced' };
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === 'busyTarget') return { outcome: 'busy' };
        if (key === 'slot') continue;
        throw error;
      }
    }
    return { outcome: 'cap' };
  }

  /**
   * A run belongs to one deployment: the deployment with the run, or null when it has one
   * already or another deployment holds the run (a unique index on runId decides).
   */
  async claimRun(id: string, runId: number, runUrl: string, at: Date): Promise<Deployment | null> {
    try {
      return toDomain(
        await this.deployments
          .findOneAndUpdate(
            { _id: id, runId: { $exists: false } },
            { $set: { runId, runUrl, ...changed(at).$set }, $inc: { version: 1 } },
            { returnDocument: 'after' },
          )
          .lean<Stored>(),
      );
    } catch (error) {
      if (duplicateKeyField(error) === 'runId') return null;
      throw error;
    }
  }

  /**
   * Once per deployment: whoever gets the deployment back tells the requester GitHub has not
   * started the run.
   */
  async claimWatchdogNotice(id: string, at: Date): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          // Only while the run has not started: a check that just learnt it did tells no one.
          {
            _id: id,
            status: { $in: ['dispatched', 'queued'] },
            watchdogNotifiedAt: { $exists: false },
          },
          { $set: { watchdogNotifiedAt: at, syncDueAt: at }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }
}
