import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'audit', versionKey: false })
export class AuditDocument {
  /** Also the key of the retention (TTL) index, which AuditRepository keeps in line with the config. */
  @Prop({ required: true })
  at!: Date;

  @Prop({ type: Object, required: true })
  actor!: { id: string; name: string };

  @Prop({ type: String })
  guildId?: string | null;

  @Prop({ required: true })
  command!: string;

  @Prop({ type: Object, default: {} })
  options!: Record<string, unknown>;

  @Prop({ required: true, enum: ['ok', 'refused', 'error'] })
  outcome!: string;

  @Prop()
  code?: string;

  @Prop()
  message?: string;

  @Prop({ required: true })
  durationMs!: number;
}

export const AuditSchema = SchemaFactory.createForClass(AuditDocument);
AuditSchema.index({ 'actor.id': 1, at: -1 });
AuditSchema.index({ command: 1, at: -1 });
