import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment, TERMINAL_STATUSES } from './deployment';
import type { AutomaticRollback, ProbeResult, VerificationState } from './deployment-details';
import { absentOrBy, changed } from './deployment-leases.repository';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';

const AFTER = { returnDocument: 'after' as const };
/** An update that reads the document's own fields (the soak's end from its plan). */
const PIPELINE = { ...AFTER, updatePipeline: true };

/**
 * Run outcomes a target's `on-run-failure` rolls back: a run that failed. A timed-out run may
 * still be going (it could deploy after the rollback), so it is not one.
 */
export const FAILED_RUN_STATUSES = ['failure'];

/** What a probe changes: its result and the counts, and the state when it ends the soak. */
export interface ProbeRecord {
  result: ProbeResult;
  probes: number;
  failuresInRow: number;
  nextProbeAt: Date;
  end?: { state: 'verified' | 'failed' | 'stopped'; reason: string; rollback?: AutomaticRollback };
}

/**
 * The verification after a run in MongoDB: each change is one atomic update that names the state
 * it expects, and the probe and the automatic rollback are each taken with a lease
 * (`verification.leaseUntil`/`leaseOwner`, `verification.rollback.leaseUntil`/`leaseOwner`), so
 * one worker of one instance does each at a time. Only DeploymentVerifications calls these.
 */
@Injectable()
export class DeploymentVerificationRepository {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /** Whether MongoDB is connected now (1: mongoose's `connected`). */
  connected(): boolean {
    return this.deployments.db.readyState === 1;
  }

  /** A deployment whose run succeeded starts its soak now (`waiting` → `verifying`). */
  async beginNext(now: Date): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        { 'verification.state': 'waiting', status: 'success' },
        [
          {
            $set: {
              'verification.state': 'verifying',
              'verification.startedAt': now,
              'verification.soakUntil': { $add: [now, '$verification.plan.soakMs'] },
              'verification.nextProbeAt': now,
              updatedAt: now,
              syncDueAt: now,
              version: { $add: [{ $ifNull: ['$version', 0] }, 1] },
            },
          },
        ],
        PIPELINE,
      ),
    );
  }

  /**
   * A run that failed on a target that rolls back failed runs: its verification fails at once
   * with the automatic rollback due (`reason` says why).
   */
  async failRunNext(now: Date, reason: string): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        {
          'verification.state': 'waiting',
          status: { $in: FAILED_RUN_STATUSES },
          'verification.plan.autoRollback': true,
          'verification.plan.onRunFailure': true,
        },
        visible(now, {
          'verification.state': 'failed',
          'verification.endedAt': now,
          'verification.reason': reason,
          'verification.rollback': { state: 'due', reason },
          'verification.noticeDue': true,
        }),
        AFTER,
      ),
    );
  }

  /** Every other deployment that ended without success has nothing to verify: forgotten. */
  async forgetUnrun(): Promise<number> {
    const forgotten = await this.deployments.updateMany(
      {
        'verification.state': 'waiting',
        status: { $in: TERMINAL_STATUSES.filter((status) => status !== 'success') },
      },
      { $unset: { verification: '' } },
    );
    return forgotten.modifiedCount;
  }

  /** Takes the next deployment whose probe is due, for `owner` until `until`. */
  async claimProbe(now: Date, until: Date, owner: string): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        {
          'verification.state': 'verifying',
          'verification.nextProbeAt': { $lte: now },
          ...absentOrBy('verification.leaseUntil', now),
        },
        { $set: { 'verification.leaseUntil': until, 'verification.leaseOwner': owner } },
        { ...AFTER, sort: { 'verification.nextProbeAt': 1 } },
      ),
    );
  }

  /**
   * Records a probe while `owner` holds the probe lease and the deployment still soaks: the
   * result, the counts, the next probe, and the end of the soak when it ends.
   */
  async recordProbe(
    id: string,
    owner: string,
    record: ProbeRecord,
    now: Date,
  ): Promise<Deployment | null> {
    const set: Record<string, unknown> = {
      'verification.lastProbe': record.result,
      'verification.probes': record.probes,
      'verification.failuresInRow': record.failuresInRow,
      'verification.nextProbeAt': record.nextProbeAt,
    };
    if (record.end) {
      set['verification.state'] = record.end.state;
      set['verification.endedAt'] = now;
      set['verification.reason'] = record.end.reason;
      if (record.end.state === 'failed') set['verification.noticeDue'] = true;
      if (record.end.rollback) set['verification.rollback'] = record.end.rollback;
    }
    return this.one(
      this.deployments.findOneAndUpdate(
        { _id: id, 'verification.state': 'verifying', 'verification.leaseOwner': owner },
        visible(now, set, { 'verification.leaseUntil': '', 'verification.leaseOwner': '' }),
        AFTER,
      ),
    );
  }

  /** A verification still waiting or soaking stops (a newer deployment went to the target). */
  async stop(id: string, reason: string, now: Date): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        { _id: id, 'verification.state': { $in: ['waiting', 'verifying'] } },
        visible(
          now,
          {
            'verification.state': 'stopped' satisfies VerificationState,
            'verification.endedAt': now,
            'verification.reason': reason,
          },
          { 'verification.leaseUntil': '', 'verification.leaseOwner': '' },
        ),
        AFTER,
      ),
    );
  }

  /** Takes the next automatic rollback due, for `owner` until `until`. */
  async claimRollback(now: Date, until: Date, owner: string): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        {
          'verification.rollback.state': 'due',
          ...absentOrBy('verification.rollback.leaseUntil', now),
        },
        {
          $set: {
            'verification.rollback.leaseUntil': until,
            'verification.rollback.leaseOwner': owner,
          },
          $inc: { 'verification.rollback.attempts': 1 },
        },
        AFTER,
      ),
    );
  }

  /** Records how the automatic rollback went, while `owner` still holds its lease. */
  async settleRollback(
    id: string,
    owner: string,
    rollback: AutomaticRollback,
    now: Date,
  ): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        {
          _id: id,
          'verification.rollback.state': 'due',
          'verification.rollback.leaseOwner': owner,
        },
        visible(now, { 'verification.rollback': rollback, 'verification.noticeDue': true }),
        AFTER,
      ),
    );
  }

  /** Takes the next failure the channel has not been told of, for `until`. */
  async claimNotice(now: Date, until: Date): Promise<Deployment | null> {
    return this.one(
      this.deployments.findOneAndUpdate(
        {
          'verification.noticeDue': true,
          // An automatic rollback still due is told once it is started or held.
          'verification.rollback.state': { $ne: 'due' },
          ...absentOrBy('verification.noticeLeaseUntil', now),
        },
        { $set: { 'verification.noticeLeaseUntil': until } },
        AFTER,
      ),
    );
  }

  /** The channel was told (or never will be: the reason was logged). */
  async noticeSent(id: string): Promise<void> {
    await this.deployments.updateOne(
      { _id: id },
      { $unset: { 'verification.noticeDue': '', 'verification.noticeLeaseUntil': '' } },
    );
  }

  /** The deployments of the target still waiting or soaking, other than `except`. */
  async findVerifyingOnTarget(
    service: string,
    environment: string,
    except: string,
  ): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({
        service,
        environment,
        _id: { $ne: except },
        'verification.state': { $in: ['waiting', 'verifying'] },
      })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  private async one(query: { lean: <T>() => PromiseLike<T> }): Promise<Deployment | null> {
    return toDomain(await query.lean<Stored | null>());
  }
}

/** An update people see: `set` and `unset`, with a new version and the Discord side due. */
function visible(now: Date, set: Record<string, unknown>, unset?: Record<string, ''>) {
  const change = changed(now);
  return {
    $set: { ...set, ...change.$set },
    $inc: change.$inc,
    ...(unset ? { $unset: unset } : {}),
  };
}
