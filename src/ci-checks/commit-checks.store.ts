import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import type { CommitChecks } from '../github/github.types';
import { CommitChecksDocument } from './commit-checks.schema';

/** A commit's checks as last read, with what the next conditional read sends. */
export interface CachedChecks {
  checks: CommitChecks;
  etags: { runs?: string; statuses?: string };
  readAt?: Date;
}

/**
 * The checks of each commit, read once for all the requests held for it: a read is claimed with
 * one atomic update (only when the last one is older than the caller accepts and nobody reads it
 * now), so however many requests and instances wait on one commit, GitHub is asked once per
 * interval.
 */
@Injectable()
export class CommitChecksStore {
  constructor(
    @InjectModel(CommitChecksDocument.name)
    private readonly commits: Model<CommitChecksDocument>,
  ) {}

  /**
   * Claims the next read of `key` until `until`, when its last read is older than `staleBefore`
   * and no other reader holds it: `claimed` with what is cached (the ETags to send), or not
   * claimed with what is cached (fresh enough, or being read by someone else right now).
   */
  async claimRead(
    key: string,
    now: Date,
    staleBefore: Date,
    until: Date,
  ): Promise<{ claimed: boolean; cached?: CachedChecks }> {
    try {
      const before = await this.commits
        .findOneAndUpdate(
          {
            _id: key,
            $and: [
              { $or: [{ readAt: { $exists: false } }, { readAt: { $lte: staleBefore } }] },
              { $or: [{ readingUntil: { $exists: false } }, { readingUntil: { $lte: now } }] },
            ],
          },
          { $set: { readingUntil: until } },
          { upsert: true, returnDocument: 'before' },
        )
        .lean<CommitChecksDocument>();
      return { claimed: true, cached: before ? cachedOf(before) : undefined };
    } catch (error) {
      // The document exists and matches neither condition: read lately, or being read.
      if (!isDuplicateKey(error)) throw error;
      const doc = await this.commits.findById(key).lean<CommitChecksDocument>();
      return { claimed: false, cached: doc ? cachedOf(doc) : undefined };
    }
  }

  /**
   * Keeps the result of a read that began `at` and ends the claim, unless a read that began later
   * was kept meanwhile (a slow read never overwrites a newer one).
   */
  async save(key: string, cached: Required<Pick<CachedChecks, 'checks' | 'etags'>>, at: Date) {
    await this.commits
      .updateOne(
        { _id: key, $or: [{ readAt: { $exists: false } }, { readAt: { $lt: at } }] },
        {
          $set: {
            runs: cached.checks.runs,
            statuses: cached.checks.statuses,
            unread: cached.checks.unread ?? {},
            etags: cached.etags,
            readAt: at,
          },
          $unset: { readingUntil: '' },
        },
        { upsert: true },
      )
      .catch((error: unknown) => {
        // The key exists with a newer read: that one stays.
        if (!isDuplicateKey(error)) throw error;
      });
  }

  /**
   * A read that failed gives its claim back (the claim's `until` names it): the next caller
   * reads. A claim that ran out and was taken by another reader stays that reader's.
   */
  async release(key: string, until: Date): Promise<void> {
    await this.commits.updateOne(
      { _id: key, readingUntil: until },
      { $unset: { readingUntil: '' } },
    );
  }
}

function cachedOf(doc: CommitChecksDocument): CachedChecks | undefined {
  if (!doc.readAt) return undefined;
  const unread = doc.unread ?? {};
  return {
    checks: {
      runs: doc.runs ?? [],
      statuses: doc.statuses ?? [],
      ...(unread.runs || unread.statuses
        ? { unread: { runs: unread.runs ?? 0, statuses: unread.statuses ?? 0 } }
        : {}),
    },
    etags: doc.etags ?? {},
    readAt: doc.readAt,
  };
}
