import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { LeadTimeDocument } from './lead-time.schema';

/** After this many tries GitHub's answer is given up on (the deployment's lead time is unknown). */
export const MAX_LEAD_TIME_ATTEMPTS = 5;

export interface LeadTimeTask {
  id: string;
  service: string;
  environment: string;
  finishedAt: Date;
  attempts: number;
}

/** The commits of successful production deployments, and the work of fetching them. */
@Injectable()
export class LeadTimeStore {
  constructor(
    @InjectModel(LeadTimeDocument.name) private readonly records: Model<LeadTimeDocument>,
  ) {}

  /** Asks for a deployment's commits; nothing when they are asked for already (any instance). */
  async request(
    deployments: Array<{ id: string; service: string; environment: string; finishedAt: Date }>,
    now: Date,
  ): Promise<void> {
    if (!deployments.length) return;
    await this.records.bulkWrite(
      deployments.map((d) => ({
        updateOne: {
          filter: { _id: d.id },
          update: {
            $setOnInsert: {
              service: d.service,
              environment: d.environment,
              finishedAt: d.finishedAt,
              state: 'due',
              nextAt: now,
              attempts: 0,
            },
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  /** Which of `ids` have a record (done or not). */
  async known(ids: string[]): Promise<Set<string>> {
    const docs = await this.records
      .find({ _id: { $in: ids } }, { _id: 1 })
      .lean<Array<{ _id: string }>>();
    return new Set(docs.map((doc) => doc._id));
  }

  /** Takes the next record due (or one whose fetcher's lease ran out) for `leaseMs`. */
  async claim(now: Date, owner: string, leaseMs: number): Promise<LeadTimeTask | null> {
    const doc = await this.records
      .findOneAndUpdate(
        {
          $or: [
            { state: 'due', nextAt: { $lte: now } },
            { state: 'fetching', leaseUntil: { $lt: now } },
          ],
        },
        {
          $set: { state: 'fetching', owner, leaseUntil: new Date(now.getTime() + leaseMs) },
          $inc: { attempts: 1 },
        },
        { returnDocument: 'after', sort: { nextAt: 1 } },
      )
      .lean<LeadTimeDocument>();
    return doc
      ? {
          id: doc._id,
          service: doc.service,
          environment: doc.environment,
          finishedAt: doc.finishedAt,
          attempts: doc.attempts ?? 1,
        }
      : null;
  }

  /** Stores the commits' dates, while `owner` still holds the record. */
  async done(id: string, owner: string, dates: Date[], total: number): Promise<boolean> {
    const result = await this.records.updateOne(
      { _id: id, state: 'fetching', owner },
      { $set: { state: 'done', dates, total }, $unset: { leaseUntil: 1, owner: 1, error: 1 } },
    );
    return result.modifiedCount === 1;
  }

  /** A try failed: again at `retryAt`, or given up (`retryAt` undefined). */
  async failed(id: string, owner: string, error: string, retryAt?: Date): Promise<void> {
    await this.records.updateOne(
      { _id: id, state: 'fetching', owner },
      {
        $set: { state: retryAt ? 'due' : 'failed', error, ...(retryAt ? { nextAt: retryAt } : {}) },
        $unset: { leaseUntil: 1, owner: 1 },
      },
    );
  }

  /** Per deployment id (of `ids`): its commits' dates, when they were read. */
  async datesOf(ids: string[]): Promise<Map<string, Date[]>> {
    const docs = await this.records
      .find({ _id: { $in: ids }, state: 'done' }, { dates: 1 })
      .lean<Array<{ _id: string; dates?: Date[] }>>();
    return new Map(docs.map((doc) => [doc._id, doc.dates ?? []]));
  }
}
