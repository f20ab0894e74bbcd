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
   * Takes the turn to post the digest of `service` due at `dueAt`, for `leaseMs`: one atomic
   * upsert. Null when it was posted, given up, or another instance holds the turn (the insert of
   * a second record for the same digest fails on its id).
   */
  async claim(
    service: string,
    dueAt: Date,
    now: Date,
    owner: string,
    leaseMs: number,
  ): Promise<{ id: string; attempts: number } | null> {
    const id = `${service}@${dueAt.toISOString()}`;
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

  /** Posted, by the holder of the turn. */
  async posted(id: string, owner: string, now: Date): Promise<void> {
    await this.posts.updateOne(
      { _id: id, owner, state: 'posting' },
      { $set: { state: 'posted', postedAt: now }, $unset: { error: '' } },
    );
  }

  /** Not posted: tried again after `retryAt`, or given up (no retryAt). */
  async failed(id: string, owner: string, reason: string, retryAt?: Date): Promise<void> {
    await this.posts.updateOne(
      { _id: id, owner, state: 'posting' },
      retryAt
        ? { $set: { leaseUntil: retryAt, error: reason } }
        : { $set: { state: 'failed', error: reason } },
    );
  }

  /** Whether the digest of `service` due at `dueAt` was posted (for tests and /service show). */
  async state(service: string, dueAt: Date): Promise<DigestPostDocument['state'] | undefined> {
    const doc = await this.posts
      .findById(`${service}@${dueAt.toISOString()}`, { state: 1 })
      .lean<Pick<DigestPostDocument, 'state'>>();
    return doc?.state;
  }
}
