import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A repository no delivery came from for this long is forgotten (TTL). */
export const FORGET_AFTER_SECONDS = 7 * 24 * 3_600;

/** When a verified run webhook last came from a repository. */
@Schema({ collection: 'webhook_activity', versionKey: false })
export class WebhookActivityDocument {
  /** `owner/repo`, lowercased. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  lastDeliveryAt!: Date;
}

export const WebhookActivitySchema = SchemaFactory.createForClass(WebhookActivityDocument);
WebhookActivitySchema.index({ lastDeliveryAt: 1 }, { expireAfterSeconds: FORGET_AFTER_SECONDS });
