import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'deployments', versionKey: false, _id: false })
export class DeploymentDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  @Prop({ required: true })
  ref!: string;

  @Prop({ required: true })
  sha!: string;

  @Prop({ type: Object, required: true })
  requester!: { id: string; name: string };

  @Prop({ required: true })
  status!: string;

  @Prop({ type: [Object], default: [] })
  transitions!: Array<Record<string, unknown>>;

  @Prop({ required: true })
  createdAt!: Date;

  @Prop({ required: true })
  updatedAt!: Date;

  @Prop()
  runId?: number;

  @Prop()
  runUrl?: string;

  @Prop()
  channelId?: string;

  @Prop()
  messageId?: string;
}

export const DeploymentSchema = SchemaFactory.createForClass(DeploymentDocument);
DeploymentSchema.index({ service: 1, environment: 1, createdAt: -1 });
DeploymentSchema.index({ service: 1, status: 1 });
// A run belongs to one deployment.
DeploymentSchema.index({ runId: 1 }, { unique: true, sparse: true });
