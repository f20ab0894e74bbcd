import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** An instance forgotten this long after its last heartbeat is removed by MongoDB (TTL). */
export const FORGET_AFTER_SECONDS = 10 * 60;

/** One running instance of the bot, as it last said it was alive. */
@Schema({ collection: 'instances', versionKey: false })
export class InstanceDocument {
  /** The instance id (`<hostname>-<pid>-<random>`). */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  startedAt!: Date;

  /** Its last heartbeat; the key of the TTL index. */
  @Prop({ required: true })
  seenAt!: Date;
}

export const InstanceSchema = SchemaFactory.createForClass(InstanceDocument);
InstanceSchema.index({ seenAt: 1 }, { expireAfterSeconds: FORGET_AFTER_SECONDS });
