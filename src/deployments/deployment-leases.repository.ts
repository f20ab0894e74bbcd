import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment } from './deployment';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';

/** A filter on a time field (a lease's end, a retry time): absent, or not after `now`. */
export function absentOrBy(field: string, now: Date) {
  return { $or: [{ [field]: { $exists: false } }, { [field]: { $lte: now } }] };
}

/**
 * Extends the lease named `owner` in the `owner` field, ending in the `until` field, of deployment
 * `id`, to `leaseMs` from `now`, while it is still held: false when it ran out or another worker
 * holds it. One update; the check lease, the Discord outbox and GitHub's record all renew so.
 */
export async function renewLease(
  deployments: Model<DeploymentDocument>,
  id: string,
  fields: { owner: string; until: string },
  owner: string,
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  const renewed = await deployments.updateOne(
    { _id: id, [fields.owner]: owner, [fields.until]: { $gt: now } },
    { $set: { [fields.until]: new Date(now.getTime() + leaseMs) } },
  );
  // Matched, not modified: a renewal in the same millisecond as the claim changes nothing.
  return renewed.matchedCount === 1;
}

/**
 * What every change that people can see adds to its update: a new version, and a due date for
 * the deployment's Discord side (message, announcement) to catch up with it.
 */
export function changed(at: Date) {
  return { $set: { updatedAt: at, syncDueAt: at }, $inc: { version: 1 } };
}

/**
 * The lease on one projection a worker keeps of deployments (the Discord outbox's `sync.*`,
 * GitHub's record's `ghSync.*`): its fields in the deployment document, and the claim, renewal
 * and release every outbox store makes of it, fenced by the owner's name.
 */
export class ProjectionLease {
  constructor(
    private readonly deployments: Model<DeploymentDocument>,
    readonly fields: { owner: string; until: string },
  ) {}

  /** The filter part of a claim: nobody holds it at `now`. */
  free(now: Date) {
    return absentOrBy(this.fields.until, now);
  }

  /** The update part of a claim: `owner` holds it until `leaseMs` from `now`. */
  take(now: Date, leaseMs: number, owner: string) {
    return {
      [this.fields.until]: new Date(now.getTime() + leaseMs),
      [this.fields.owner]: owner,
    };
  }

  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    return renewLease(this.deployments, id, this.fields, owner, now, leaseMs);
  }

  /** Gives the lease back unused, when `owner` still holds it: the next worker may claim at once. */
  async release(id: string, owner: string): Promise<void> {
    await this.deployments.updateOne(
      { _id: id, [this.fields.owner]: owner },
      { $unset: { [this.fields.until]: '', [this.fields.owner]: '' } },
    );
  }
}

/**
 * The check lease every deployment in flight carries (`leaseUntil`, `leaseOwner`): held by its
 * dispatcher from the decision that puts it in flight, then by whichever poll claims it. One
 * update per renewal or claim; the tracker's own claims are in tracking/tracking.store.ts.
 */
@Injectable()
export class DeploymentLeases {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /** Extends the check lease `owner` still holds on `id`; false when it no longer does. */
  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const fields = { owner: 'leaseOwner', until: 'leaseUntil' };
    return renewLease(this.deployments, id, fields, owner, now, leaseMs);
  }

  /**
   * An approved deployment whose dispatcher died before moving it on (its lease ended), claimed
   * for `owner` until `leaseMs` from `now`: GitHub was never called for it. Null when none.
   */
  async claimStranded(now: Date, leaseMs: number, owner: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { status: 'approved', ...absentOrBy('leaseUntil', now) },
          { $set: { leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner } },
          { sort: { updatedAt: 1 }, returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }
}
