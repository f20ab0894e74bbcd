import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'access_grants', versionKey: false })
export class GrantDocument {
  /** Absent on grants recorded before servers were: those count only once adopted at start. */
  @Prop({ type: String })
  guildId?: string;

  @Prop({ required: true, unique: true })
  roleId!: string;

  @Prop({ required: true })
  roleName!: string;

  @Prop({ required: true, enum: ['admin', 'deployer'] })
  level!: string;

  @Prop({ type: [String], default: [] })
  environments!: string[];

  @Prop({ type: Object, required: true })
  grantedBy!: { id: string; name: string };

  @Prop({ required: true })
  grantedAt!: Date;
}

export const GrantSchema = SchemaFactory.createForClass(GrantDocument);
GrantSchema.index({ guildId: 1, level: 1 });
