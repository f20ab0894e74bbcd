import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A target an admin has locked: deploys and rollbacks to it are refused until unlocked. */
@Schema({ collection: 'target_locks', versionKey: false, _id: false })
export class TargetLockDocument {
  /** `service:environment` */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  @Prop({ required: true })
  reason!: string;

  @Prop({ type: Object, required: true })
  by!: { id: string; name: string };

  @Prop({ required: true })
  at!: Date;
}

export const TargetLockSchema = SchemaFactory.createForClass(TargetLockDocument);
