import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One document per member: when they last ran GitHub-calling commands (the newest few). */
@Schema({ collection: 'member_budgets', versionKey: false, _id: false })
export class MemberBudgetDocument {
  /** The member's Discord id. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: [Date], default: [] })
  times!: Date[];

  /** Housekeeping only: a member idle this long has nothing left to count. */
  @Prop({ required: true })
  expiresAt!: Date;
}

export const MemberBudgetSchema = SchemaFactory.createForClass(MemberBudgetDocument);
MemberBudgetSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
