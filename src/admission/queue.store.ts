import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { duplicateKeyField, isDuplicateKey } from '../../libs/mongo-errors';
import type { Person } from '../../libs/people';
import { QueueEntryDocument, QueueState, QueueTargetDocument, QueueTurn } from './queue.schema';

export type { QueueState, QueueTurn };

export interface QueueEntry {
  id: string;
  service: string;
  environment: string;
  ref?: string;
  shaAtQueue?: string;
  /** Asked for as a hotfix (see DeployRequest). */
  hotfix?: boolean;
  requester: Person;
  channelId: string;
  state: QueueState;
  seq?: number;
  waitedFor?: string;
  createdAt: Date;
  queuedAt?: Date;
  expiresAt: Date;
  notBefore?: Date;
  attempts?: number;
  owner?: string;
  admittingSince?: Date;
  deploymentId?: string;
  endedAt?: Date;
  note?: string;
  noticeDue?: boolean;
  noticeAttempts?: number;
}

export interface Target {
  service: string;
  environment: string;
}

/** `q-1a2b3c` */
export const QUEUE_ENTRY_ID = /^q-[0-9a-f]{6}$/;
/** An ended entry stays readable this long, then MongoDB deletes it. */
const KEEP_ENDED_MS = 7 * 24 * 3_600_000;
const ENDED: QueueState[] = ['done', 'cancelled', 'expired', 'failed'];
/** The states that hold a place in the line (counted against the cap). */
const IN_LINE: QueueState[] = ['queued', 'admitting'];

const targetKey = (target: Target) => `${target.service}:${target.environment}`;

/**
 * Each target's FIFO queue of deploy requests, and its turn. Every change is one conditional
 * update: an entry is queued, taken, admitted, cancelled or expired once, whichever instance
 * tries; the turn lets one entry of a target go at a time.
 */
@Injectable()
export class QueueStore {
  private readonly listeners: Array<() => void> = [];

  constructor(
    @InjectModel(QueueEntryDocument.name) private readonly entries: Model<QueueEntryDocument>,
    @InjectModel(QueueTargetDocument.name) private readonly targets: Model<QueueTargetDocument>,
  ) {}

  /** Called (in this process) whenever an entry is queued: the admitter looks at once. */
  onQueued(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** An offer to queue a refused request ("Queue it"), valid until `expiresAt`. */
  async offer(
    entry: Omit<QueueEntry, 'id' | 'state' | 'createdAt'>,
    now: Date,
  ): Promise<QueueEntry> {
    const offered: QueueEntry = { ...entry, id: newEntryId(), state: 'offered', createdAt: now };
    await this.entries.create({ ...stored(offered), purgeAt: entry.expiresAt });
    return offered;
  }

  /**
   * Puts a request in its target's queue (a new one, or an offer taken up), last (its order is
   * one atomic increment of the target's counter). It takes a free place under `max` in the same
   * write (a unique index on the target's places), so racing requests cannot pass the cap.
   */
  async enqueue(
    entry: QueueEntry | Omit<QueueEntry, 'id' | 'state' | 'createdAt'>,
    now: Date,
    expiresAt: Date,
    max: number,
  ): Promise<{ entry: QueueEntry; position: number } | { full: number } | { gone: true }> {
    const seq = await this.nextSeq(entry);
    const set = { state: 'queued' as const, seq, queuedAt: now, expiresAt };
    const first = await this.entries.countDocuments({
      service: entry.service,
      environment: entry.environment,
      slot: { $exists: true },
    });
    for (let tried = 0; tried < max; tried++) {
      const slot = (first + tried) % max;
      try {
        const queued = await this.putInLine(entry, { ...set, slot }, now);
        if (!queued) return { gone: true };
        for (const listener of this.listeners) listener();
        return { entry: queued, position: await this.positionOf(queued) };
      } catch (error) {
        if (duplicateKeyField(error) !== 'slot') throw error;
      }
    }
    return { full: max };
  }

  /** The entry written as queued at `set.slot` (an offer taken up: null once it is gone). */
  private async putInLine(
    entry: QueueEntry | Omit<QueueEntry, 'id' | 'state' | 'createdAt'>,
    set: { state: 'queued'; seq: number; queuedAt: Date; expiresAt: Date; slot: number },
    now: Date,
  ): Promise<QueueEntry | null> {
    if (!('id' in entry)) {
      const queued = { ...entry, ...set, id: newEntryId(), createdAt: now };
      await this.entries.create(stored(queued));
      return queued;
    }
    return fromStored(
      await this.entries
        .findOneAndUpdate(
          { _id: entry.id, state: 'offered', expiresAt: { $gt: now } },
          {
            $set: {
              ...set,
              service: entry.service,
              environment: entry.environment,
              ...(entry.shaAtQueue ? { shaAtQueue: entry.shaAtQueue } : {}),
            },
            $unset: { purgeAt: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<QueueEntryDocument>(),
    );
  }

  async find(id: string): Promise<QueueEntry | null> {
    return fromStored(await this.entries.findById(id).lean<QueueEntryDocument>());
  }

  /** Where a queued entry stands: 1 is next. */
  async positionOf(entry: Pick<QueueEntry, 'service' | 'environment' | 'seq'>): Promise<number> {
    return this.entries.countDocuments({
      service: entry.service,
      environment: entry.environment,
      state: 'queued',
      seq: { $lte: entry.seq },
    });
  }

  /** The queued entries of a target in order, and the one whose turn it is. */
  async listFor(target: Target, limit = 50): Promise<{ queued: QueueEntry[]; turn?: QueueTurn }> {
    const [queued, turn] = await Promise.all([
      this.entries
        .find({ ...target, state: 'queued' })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<QueueEntryDocument[]>(),
      this.targets.findById(targetKey(target)).lean<QueueTargetDocument>(),
    ]);
    return {
      queued: queued.map((entry) => fromStored(entry)!),
      ...(turn?.turn ? { turn: turn.turn } : {}),
    };
  }

  async countQueued(target: Target): Promise<number> {
    return this.entries.countDocuments({ ...target, state: 'queued' });
  }

  /** A member's requests in line, on every target. */
  async countInLineFor(memberId: string): Promise<number> {
    return this.entries.countDocuments({ 'requester.id': memberId, state: { $in: IN_LINE } });
  }

  /** Targets with entries queued, admitting or admitted: the ones the admitter looks at. */
  async activeTargets(): Promise<Target[]> {
    // The targets waiting longest first, so that past the limit none is left out for good.
    const found = await this.entries.aggregate<{ _id: Target }>([
      { $match: { state: { $in: ['queued', 'admitting', 'admitted'] } } },
      {
        $group: {
          _id: { service: '$service', environment: '$environment' },
          oldest: { $min: '$createdAt' },
        },
      },
      { $sort: { oldest: 1 } },
      { $limit: 500 },
    ]);
    return found.map((group) => group._id);
  }

  /**
   * The first queued entry of the target, if it may go now: one waiting out a failure that may
   * pass (`notBefore`) keeps its place, and the entries behind it wait too (first come, first
   * served).
   */
  async head(target: Target, now: Date): Promise<QueueEntry | null> {
    const first = fromStored(
      await this.entries
        .findOne({ ...target, state: 'queued', expiresAt: { $gt: now } })
        .sort({ seq: 1 })
        .lean<QueueEntryDocument>(),
    );
    return first && (!first.notBefore || first.notBefore <= now) ? first : null;
  }

  async turnOf(target: Target): Promise<QueueTurn | undefined> {
    const found = await this.targets.findById(targetKey(target)).lean<QueueTargetDocument>();
    return found?.turn ?? undefined;
  }

  /**
   * Takes the target's turn for `entry` and moves it from queued to admitting: only when no entry
   * has the turn (a dead instance's turn is given back first, see `takeOver`). False when another
   * instance took it, or the entry left the queue meanwhile.
   */
  async takeTurn(entry: QueueEntry, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const taken = await this.targets.updateOne(
      { _id: targetKey(entry), turn: null },
      { $set: { turn: { entryId: entry.id, phase: 'admitting', owner, leaseUntil } } },
    );
    if (taken.modifiedCount !== 1) return false;
    const moved = await this.entries.updateOne(
      { _id: entry.id, state: 'queued' },
      { $set: { state: 'admitting', owner, admittingSince: now } },
    );
    if (moved.modifiedCount !== 1) {
      await this.clearTurn(entry, entry.id, owner);
      return false;
    }
    // The second write may have landed late, after the turn was taken over and given back: then
    // the entry goes back in line rather than stay admitting under an owner that lost its turn.
    if ((await this.turnOf(entry))?.owner === owner) return true;
    await this.entries.updateOne(
      { _id: entry.id, state: 'admitting', owner },
      { $set: { state: 'queued' }, $unset: { owner: 1, admittingSince: 1 } },
    );
    return false;
  }

  /**
   * The turn of an instance that stopped while admitting (its lease ran out), taken over by
   * `owner` for the same entry: it then finds out whether the entry became a deployment.
   */
  async takeOver(target: Target, entryId: string, owner: string, now: Date, leaseMs: number) {
    const taken = await this.targets.updateOne(
      {
        _id: targetKey(target),
        'turn.entryId': entryId,
        'turn.phase': 'admitting',
        'turn.leaseUntil': { $lte: now },
      },
      { $set: { 'turn.owner': owner, 'turn.leaseUntil': new Date(now.getTime() + leaseMs) } },
    );
    if (taken.modifiedCount !== 1) return false;
    // The stopped instance's late writes to the entry no longer match.
    await this.entries.updateOne({ _id: entryId, state: 'admitting' }, { $set: { owner } });
    return true;
  }

  /**
   * Puts back in line the target's entries marked admitting that do not hold its turn (only the
   * turn's entry is admitted at a time): left so by a write that landed after its turn was lost.
   * Only entries admitting since `olderThan` or before: one whose turn another instance took a
   * moment ago (after this one read the turn) is not touched.
   */
  async releaseStray(target: Target, turnEntryId: string | undefined, olderThan: Date) {
    const released = await this.entries.updateMany(
      {
        ...target,
        state: 'admitting',
        ...(turnEntryId ? { _id: { $ne: turnEntryId } } : {}),
        $or: [{ admittingSince: null }, { admittingSince: { $lte: olderThan } }],
      },
      { $set: { state: 'queued' }, $unset: { owner: 1, admittingSince: 1 } },
    );
    return released.modifiedCount;
  }

  /** Keeps the admitting instance's turn while it works; false once it is no longer its. */
  async renewTurn(entry: QueueEntry, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const renewed = await this.targets.updateOne(
      { _id: targetKey(entry), 'turn.entryId': entry.id, 'turn.owner': owner },
      { $set: { 'turn.leaseUntil': new Date(now.getTime() + leaseMs) } },
    );
    return renewed.matchedCount === 1;
  }

  /**
   * Takes an offer for good (an admin's "Deploy anyway" used it): true once, for one click, however
   * many instances and clicks race.
   */
  async useOffer(id: string, now: Date, note: string): Promise<QueueEntry | null> {
    return fromStored(
      await this.entries
        .findOneAndUpdate(
          { _id: id, state: 'offered', expiresAt: { $gt: now } },
          { $set: { state: 'done', endedAt: now, note, purgeAt: ended(now) } },
          { returnDocument: 'after' },
        )
        .lean<QueueEntryDocument>(),
    );
  }

  /**
   * The entry became deployment `deploymentId` (whoever admitted it: the deployment exists, under
   * a unique index on the entry): it leaves the line, and the target's turn stays with that
   * deployment until it ends (taken if no entry holds it).
   */
  async admitted(entry: Target & { id: string }, deploymentId: string, now: Date): Promise<void> {
    await this.entries.updateOne(
      { _id: entry.id, state: { $in: IN_LINE } },
      {
        $set: { state: 'admitted', deploymentId, endedAt: now },
        $unset: { owner: 1, admittingSince: 1, slot: 1 },
      },
    );
    await this.targets.updateOne(
      { _id: targetKey(entry), $or: [{ 'turn.entryId': entry.id }, { turn: null }] },
      { $set: { turn: { entryId: entry.id, phase: 'admitted', deploymentId } } },
    );
  }

  /**
   * Back in the queue at its place (the target closed or filled meanwhile), the turn given up;
   * only by the turn's owner. `notBefore`: a failure that may pass, counted in a row.
   */
  async requeue(entry: QueueEntry, owner: string, notBefore?: Date): Promise<void> {
    await this.entries.updateOne(
      { _id: entry.id, state: 'admitting', owner },
      {
        // A failure that may pass counts; the target being busy again starts the count anew.
        ...(notBefore
          ? { $set: { state: 'queued', notBefore }, $inc: { attempts: 1 } }
          : { $set: { state: 'queued', attempts: 0 } }),
        $unset: { owner: 1, admittingSince: 1 },
      },
    );
    await this.clearTurn(entry, entry.id, owner);
  }

  /**
   * Ends an entry that was being admitted (failed), with a notice for its requester; only by the
   * turn's owner.
   */
  async fail(entry: QueueEntry, note: string, now: Date, owner: string): Promise<void> {
    await this.entries.updateOne(
      { _id: entry.id, state: 'admitting', owner },
      {
        $set: {
          state: 'failed',
          note: note.slice(0, 1_000),
          endedAt: now,
          noticeDue: true,
          purgeAt: ended(now),
        },
        $unset: { owner: 1, admittingSince: 1, slot: 1 },
      },
    );
    await this.clearTurn(entry, entry.id, owner);
  }

  /** The admitted entry's deployment ended: the target's turn is free for the next. */
  async finishTurn(target: Target, entryId: string, now: Date): Promise<void> {
    await this.entries.updateOne(
      { _id: entryId, state: 'admitted' },
      { $set: { state: 'done', purgeAt: ended(now) } },
    );
    await this.clearTurn(target, entryId);
  }

  /** Cancels a queued entry (or an offer); the entry as it is now otherwise. */
  async cancel(
    id: string,
    by: Person,
    now: Date,
  ): Promise<{ cancelled: QueueEntry } | { entry: QueueEntry | null }> {
    const cancelled = fromStored(
      await this.entries
        .findOneAndUpdate(
          { _id: id, state: { $in: ['queued', 'offered'] } },
          {
            $set: {
              state: 'cancelled',
              endedAt: now,
              note: `cancelled by ${by.name}`.slice(0, 200),
              purgeAt: ended(now),
            },
            $unset: { slot: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<QueueEntryDocument>(),
    );
    return cancelled ? { cancelled } : { entry: await this.find(id) };
  }

  /** Expires one queued entry past its time, with a notice; null when none is left. */
  async expireOne(now: Date): Promise<QueueEntry | null> {
    return fromStored(
      await this.entries
        .findOneAndUpdate(
          { state: 'queued', expiresAt: { $lte: now } },
          {
            $set: {
              state: 'expired',
              endedAt: now,
              note: 'not admitted in time',
              noticeDue: true,
              purgeAt: ended(now),
            },
            $unset: { slot: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<QueueEntryDocument>(),
    );
  }

  /** Entries whose notice is still to be posted. */
  async noticesDue(limit = 20): Promise<QueueEntry[]> {
    const found = await this.entries
      .find({ noticeDue: true })
      .limit(limit)
      .lean<QueueEntryDocument[]>();
    return found.map((entry) => fromStored(entry)!);
  }

  /** The notice was posted (or given up on): one instance records it. */
  async noticeDone(id: string): Promise<boolean> {
    const done = await this.entries.updateOne(
      { _id: id, noticeDue: true },
      { $unset: { noticeDue: 1 } },
    );
    return done.modifiedCount === 1;
  }

  /** Posting it failed in a way that may pass: it is due again. */
  async noticeFailed(id: string): Promise<void> {
    await this.entries.updateOne(
      { _id: id },
      { $set: { noticeDue: true }, $inc: { noticeAttempts: 1 } },
    );
  }

  /** Gives the target's turn back if `entryId` holds it (and `owner`, when given, owns it). */
  async clearTurn(target: Target, entryId: string, owner?: string): Promise<void> {
    await this.targets.updateOne(
      {
        _id: targetKey(target),
        'turn.entryId': entryId,
        ...(owner ? { 'turn.owner': owner } : {}),
      },
      { $set: { turn: null } },
    );
  }

  /** The target's next place in line (one atomic increment; the document is made on first use). */
  private async nextSeq(target: Target): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const counter = await this.targets
          .findOneAndUpdate(
            { _id: targetKey(target) },
            { $inc: { seq: 1 } },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<QueueTargetDocument>();
        return counter!.seq;
      } catch (error) {
        // Two first entries of a target upserting at once: one insert wins, the other retries.
        if (!isDuplicateKey(error) || attempt > 2) throw error;
      }
    }
  }
}

function newEntryId(): string {
  return `q-${randomBytes(3).toString('hex')}`;
}

function ended(now: Date): Date {
  return new Date(now.getTime() + KEEP_ENDED_MS);
}

function stored(entry: QueueEntry): QueueEntryDocument {
  const { id, ...rest } = entry;
  return { _id: id, ...rest } as QueueEntryDocument;
}

function fromStored(document: QueueEntryDocument | null): QueueEntry | null {
  if (!document) return null;
  const { _id, purgeAt: _purge, ...rest } = document as QueueEntryDocument & { purgeAt?: Date };
  return { id: _id, ...rest } as QueueEntry;
}

export { ENDED as ENDED_QUEUE_STATES };
