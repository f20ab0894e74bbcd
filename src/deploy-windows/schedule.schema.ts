import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { Person } from '../../libs/people';

/**
 * A freeze: deploys, approvals and dispatches to every matching target stop until it is lifted
 * or its `until` passes. One per scope: `service|*` and `environment|*`.
 */
@Schema({ collection: 'freezes', versionKey: false, _id: false })
export class FreezeDocument {
  /** `service:environment`, `*` for every service or every environment. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** Absent: every service. */
  @Prop({ type: String })
  service?: string;

  /** `*`: every environment. */
  @Prop({ required: true })
  environment!: string;

  @Prop({ required: true })
  reason!: string;

  @Prop({ type: Object, required: true })
  by!: Person;

  @Prop({ required: true })
  at!: Date;

  /** Lifts itself then; absent: until /unfreeze. */
  @Prop()
  until?: Date;
}

export const FreezeSchema = SchemaFactory.createForClass(FreezeDocument);
FreezeSchema.index({ environment: 1, service: 1 });

/** A scheduled window of one target (see window-rules.ts). */
@Schema({ collection: 'deploy_windows', versionKey: false, _id: false })
export class WindowDocument {
  /** `w-1a2b3c` */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  @Prop({ type: String, required: true, enum: ['deny', 'allow'] })
  kind!: 'deny' | 'allow';

  @Prop({ required: true })
  cron!: string;

  @Prop({ required: true })
  durationMs!: number;

  @Prop({ required: true })
  timeZone!: string;

  @Prop({ type: Object, required: true })
  by!: Person;

  @Prop({ required: true })
  at!: Date;
}

export const WindowSchema = SchemaFactory.createForClass(WindowDocument);
WindowSchema.index({ service: 1, environment: 1 });
