import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { CheckRunInfo, CommitStatusInfo } from '../github/github.types';

/** A commit's checks not read for this long are forgotten (TTL). */
export const FORGET_AFTER_SECONDS = 24 * 3_600;

/**
 * What CI last said about one commit, shared by every request held for it and by every
 * instance: the lists GitHub answered, their ETags (the next read is conditional), when they were
 * read, and who is reading them now.
 */
@Schema({ collection: 'commit_checks', versionKey: false })
export class CommitChecksDocument {
  /** `owner/repo@sha`, lowercased. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: [Object], default: [] })
  runs!: CheckRunInfo[];

  @Prop({ type: [Object], default: [] })
  statuses!: CommitStatusInfo[];

  @Prop({ type: Object, default: {} })
  unread!: { runs?: number; statuses?: number };

  @Prop({ type: Object, default: {} })
  etags!: { runs?: string; statuses?: string };

  /** When GitHub was last read for it; absent until the first read is saved. */
  @Prop()
  readAt?: Date;

  /** A reader holds the commit until then (one read at a time, of all instances). */
  @Prop()
  readingUntil?: Date;
}

export const CommitChecksSchema = SchemaFactory.createForClass(CommitChecksDocument);
CommitChecksSchema.index({ readAt: 1 }, { expireAfterSeconds: FORGET_AFTER_SECONDS });
