import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import { DigestPostDocument } from './digest.schema';

/** After this many tries a digest is given up (and logged). */
export const MAX_DIGEST_ATTEMPTS = 3;

/** Which weekly digests were posted, and the turn to post each: one record per digest. */
@Injectable()
export class DigestStore {
  constructor(
    @InjectModel(DigestPostDocument.name) private readonly posts: Model<DigestPostDocument>,
  ) {}

  /**
   * Takes the turn to post the digest of `service` for `week` (the due date in its time zone;
   * `dueAt`, the moment, is kept for the record), for `leaseMs`: one atomic
   * upsert. Null when it was posted, given up, or another instance holds the turn (the insert of
   * a second record for the same digest fails on its id).
   */
  async claim(
    service: string,
    week: string,
    dueAt: Date,
    now: Date,
    owner: string,
    leaseMs: number,
  ): Promise<{ id: string; attempts: number } | null> {
    const id = digestId(service, week);
    try {
      const doc = await this.posts
        .findOneAndUpdate(
          {
            _id: id,
            state: 'posting',
            leaseUntil: { $lt: now },
            attempts: { $lt: MAX_DIGEST_ATTEMPTS },
          },
          {
            $set: { owner, leaseUntil: new Date(now.getTime() + leaseMs) },
            $inc: { attempts: 1 },
            $setOnInsert: { service, dueAt },
          },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<DigestPostDocument>();
      return doc ? { id, attempts: doc.attempts } : null;
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
  }

  /** Posted, by the holder of the turn. False when the turn was no longer its own. */
  async posted(id: string, owner: string, now: Date): Promise<boolean> {
    const result = await this.posts.updateOne(
      { _id: id, owner, state: 'posting' },
      { $set: { state: 'posted', postedAt: now }, $unset: { error: '' } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Not posted: tried again after `retryAt`, or given up (no retryAt). False when the turn was no
   * longer its own.
   */
  async failed(id: string, owner: string, reason: string, retryAt?: Date): Promise<boolean> {
    const result = await this.posts.updateOne(
      { _id: id, owner, state: 'posting' },
      retryAt
        ? { $set: { leaseUntil: retryAt, error: reason } }
        : { $set: { state: 'failed', error: reason } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Where the digest stands, for an instance that did not get the turn. A last try whose holder
   * went silent (its lease ran out with no tries left) is given up here, in one update.
   */
  async settle(
    service: string,
    week: string,
    now: Date,
  ): Promise<DigestPostDocument['state'] | undefined> {
    const id = digestId(service, week);
    await this.posts.updateOne(
      {
        _id: id,
        state: 'posting',
        leaseUntil: { $lt: now },
        attempts: { $gte: MAX_DIGEST_ATTEMPTS },
      },
      { $set: { state: 'failed', error: `no answer after ${MAX_DIGEST_ATTEMPTS} tries` } },
    );
    const doc = await this.posts
      .findById(id, { state: 1 })
      .lean<Pick<DigestPostDocument, 'state'>>();
    return doc?.state;
  }
}

/** One digest: the service and the due date in its time zone. */
export function digestId(service: string, week: string): string {
  return `${service}@${week}`;
}
