import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One weekly digest of one service, due at one time: whichever instance takes it first posts it
 * (the id is the service and the time, so there is one record per digest, whatever the number of
 * instances).
 */
@Schema({ collection: 'digest_posts', versionKey: false, _id: false })
export class DigestPostDocument {
  /** `<service>@<due ISO time>` */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  dueAt!: Date;

  /** `posting` (under a lease) → `posted`, or `failed` after its tries. */
  @Prop({ required: true })
  state!: 'posting' | 'posted' | 'failed';

  @Prop({ required: true })
  owner!: string;

  @Prop({ required: true })
  leaseUntil!: Date;

  @Prop({ required: true })
  attempts!: number;

  @Prop()
  postedAt?: Date;

  @Prop()
  error?: string;
}

export const DigestPostSchema = SchemaFactory.createForClass(DigestPostDocument);
