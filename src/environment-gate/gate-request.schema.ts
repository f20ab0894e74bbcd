import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One question GitHub asked the bot's App about a run and an environment (its custom deployment
 * protection rule): every job of the run waiting on the environment, one Discord request, one
 * answer. Open until it is answered; a re-run asks again in a new one.
 */
@Schema({ collection: 'gate_requests', versionKey: false })
export class GateRequestDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  /** `owner/repo#run:environment`, lowercase: one open request per run and environment. */
  @Prop({ required: true })
  runKey!: string;

  /** Present (true) until answered. */
  @Prop()
  open?: boolean;

  @Prop({ required: true }) owner!: string;
  @Prop({ required: true }) repo!: string;
  @Prop({ required: true }) runId!: number;
  @Prop({ required: true }) environment!: string;
  @Prop({ required: true }) event!: string;
  @Prop({ type: Object, required: true }) sender!: { login: string; type: string };
  @Prop({ required: true }) sha!: string;
  @Prop({ required: true }) ref!: string;
  @Prop({ type: [String], default: [] }) deliveryIds!: string[];
  @Prop() deploymentId?: string;
  @Prop({ type: Object }) decision?: object;
  @Prop({ type: Object }) answer?: object;
  @Prop({ default: 0 }) attempts!: number;
  @Prop() firstFailureAt?: Date;
  @Prop({ required: true }) nextAttemptAt!: Date;
  @Prop() leaseUntil?: Date;
  @Prop() leaseOwner?: string;
  @Prop({ required: true }) createdAt!: Date;
  /** When it was answered (or ignored): kept 30 days, then removed. */
  @Prop() closedAt?: Date;
}

export const GateRequestSchema = SchemaFactory.createForClass(GateRequestDocument);
// One open request per run and environment: the jobs asking at once all join it.
GateRequestSchema.index({ runKey: 1 }, { unique: true, partialFilterExpression: { open: true } });
GateRequestSchema.index({ nextAttemptAt: 1 }, { partialFilterExpression: { open: true } });
GateRequestSchema.index({ runId: 1 });
GateRequestSchema.index({ deploymentId: 1 }, { sparse: true });
// GitHub waits at most 30 days for an answer: an answered question is kept as long, then removed.
GateRequestSchema.index({ closedAt: 1 }, { expireAfterSeconds: 30 * 24 * 60 * 60 });
