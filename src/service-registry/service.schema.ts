import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'services', versionKey: false })
export class ServiceDocument {
  @Prop({ required: true, unique: true })
  name!: string;

  @Prop({ required: true })
  owner!: string;

  @Prop({ required: true })
  repo!: string;

  @Prop({ required: true })
  workflow!: string;

  @Prop({ type: [String], required: true })
  environments!: string[];

  @Prop({ type: [String], default: [] })
  protectedEnvironments!: string[];

  @Prop({ required: true })
  defaultRef!: string;

  @Prop({ required: true })
  environmentInput!: string;

  @Prop({ required: true })
  shaInput!: string;

  @Prop()
  idInput?: string;

  @Prop()
  githubDeployments?: string;

  @Prop({ type: Object })
  targets?: Record<string, object>;

  @Prop({ type: Object })
  outsideRuns?: object;

  @Prop({ type: Object })
  digest?: object;

  @Prop({ type: Object, required: true })
  addedBy!: { id: string; name: string };

  @Prop({ required: true })
  addedAt!: Date;
}

export const ServiceSchema = SchemaFactory.createForClass(ServiceDocument);
