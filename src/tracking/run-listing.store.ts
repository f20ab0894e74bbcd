import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import type { RunInfo } from '../github/github.client';
import { RunListingDocument } from './run-listing.schema';

export type ListedRun = Pick<RunInfo, 'id' | 'status' | 'conclusion' | 'htmlUrl' | 'updatedAt'>;

/** The last listing of each workflow's recent runs (shared by all instances). */
@Injectable()
export class RunListingStore {
  constructor(
    @InjectModel(RunListingDocument.name) private readonly listings: Model<RunListingDocument>,
  ) {}

  /** The runs and ETag of the last listing of `key` with this `query`; null for another query. */
  async last(key: string, query: string): Promise<{ etag: string; runs: ListedRun[] } | null> {
    const doc = await this.listings.findOne({ _id: key, query }).lean<RunListingDocument>();
    return doc ? { etag: doc.etag, runs: doc.runs } : null;
  }

  async save(key: string, query: string, etag: string, runs: ListedRun[], at: Date): Promise<void> {
    await this.listings.updateOne(
      { _id: key },
      {
        $set: {
          query,
          etag,
          at,
          runs: runs.map(({ id, status, conclusion, htmlUrl, updatedAt }) => ({
            id,
            status,
            conclusion,
            htmlUrl,
            updatedAt,
          })),
        },
      },
      { upsert: true },
    );
  }
}
