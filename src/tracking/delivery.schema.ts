import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One webhook delivery, by X-GitHub-Delivery: redeliveries reuse the id. */
@Schema({ collection: 'webhook_deliveries', versionKey: false, _id: false })
export class DeliveryDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  event!: string;

  @Prop({ required: true, index: true })
  receivedAt!: Date;
}

export const DeliverySchema = SchemaFactory.createForClass(DeliveryDocument);
