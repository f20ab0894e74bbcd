import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A listing not asked for again within this long is forgotten (TTL). */
export const FORGET_AFTER_SECONDS = 24 * 3_600;

/**
 * The last listing of a workflow's recent runs: the query, GitHub's ETag for it, and the runs it
 * held, so a 304 to the same query can be read like the 200 it stands for.
 */
@Schema({ collection: 'run_listings', versionKey: false })
export class RunListingDocument {
  /** `owner/repo|workflow`, lowercased. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  query!: string;

  @Prop({ required: true })
  etag!: string;

  @Prop({ type: [Object], default: [] })
  runs!: Array<{
    id: number;
    status: string;
    conclusion: string | null;
    htmlUrl: string;
    updatedAt: string;
  }>;

  @Prop({ required: true })
  at!: Date;
}

export const RunListingSchema = SchemaFactory.createForClass(RunListingDocument);
RunListingSchema.index({ at: 1 }, { expireAfterSeconds: FORGET_AFTER_SECONDS });
