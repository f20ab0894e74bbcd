import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One document per member: when their last deploy was accepted. */
@Schema({ collection: 'deploy_cooldowns', versionKey: false, _id: false })
export class CooldownDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  lastAcceptedAt!: Date;
}

export const CooldownSchema = SchemaFactory.createForClass(CooldownDocument);
