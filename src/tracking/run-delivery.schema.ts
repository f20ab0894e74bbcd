import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * How long a `workflow_run` delivery's id is kept: longer than GitHub lets anyone redeliver one
 * (3 days on GitHub.com, 7 on GitHub Enterprise Server:
 * https://docs.github.com/en/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks).
 */
export const RUN_DELIVERY_TTL_SECONDS = 8 * 24 * 60 * 60;

/**
 * One `workflow_run` delivery the bot applied to a deployment. The delivery id
 * (`X-GitHub-Delivery`) is the `_id`, so of several instances inserting it at once exactly one
 * succeeds, and a redelivery finds it taken.
 */
@Schema({ collection: 'run_deliveries', versionKey: false })
export class RunDeliveryDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  runId!: number;

  /** When it was applied; the key of the TTL index. */
  @Prop({ required: true })
  at!: Date;
}

export const RunDeliverySchema = SchemaFactory.createForClass(RunDeliveryDocument);
RunDeliverySchema.index({ at: 1 }, { expireAfterSeconds: RUN_DELIVERY_TTL_SECONDS });
