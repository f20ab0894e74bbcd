import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The commits a successful production deployment brought, fetched from GitHub once (the compare
 * with what ran there before) and kept: the change lead time is computed from their dates.
 */
@Schema({ collection: 'deployment_commits', versionKey: false, _id: false })
export class LeadTimeDocument {
  /** The deployment's id. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  /** When the deployment succeeded (the metrics read by service and period). */
  @Prop({ required: true })
  finishedAt!: Date;

  /** `due` → `fetching` (under a lease) → `done`, or `failed` after its tries. */
  @Prop({ required: true })
  state!: 'due' | 'fetching' | 'done' | 'failed';

  /** The commits' dates (at most 250, oldest first), once fetched. */
  @Prop({ type: [Date], default: undefined })
  dates?: Date[];

  /** How many commits GitHub counted (more than `dates` holds for a large deployment). */
  @Prop()
  total?: number;

  @Prop()
  nextAt?: Date;

  @Prop()
  leaseUntil?: Date;

  @Prop()
  owner?: string;

  @Prop()
  attempts?: number;

  /** Why GitHub could not tell, in plain words (the last try). */
  @Prop()
  error?: string;
}

export const LeadTimeSchema = SchemaFactory.createForClass(LeadTimeDocument);
// The metrics read a service's records by period; the collector takes the next one due.
LeadTimeSchema.index({ service: 1, finishedAt: 1 });
LeadTimeSchema.index({ state: 1, nextAt: 1 });
