import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** How long a claim is kept: longer than an interaction token lives (15 minutes). */
export const CLAIM_TTL_SECONDS = 20 * 60;

/**
 * One interaction, claimed by the instance that handles it. The interaction's id is the `_id`,
 * so of several instances inserting it, exactly one succeeds.
 */
@Schema({ collection: 'interaction_claims', versionKey: false })
export class InteractionClaimDocument {
  /** The interaction's snowflake. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** The instance that won it. */
  @Prop({ required: true })
  instance!: string;

  /** When it was claimed; the key of the TTL index. */
  @Prop({ required: true })
  at!: Date;
}

export const InteractionClaimSchema = SchemaFactory.createForClass(InteractionClaimDocument);
InteractionClaimSchema.index({ at: 1 }, { expireAfterSeconds: CLAIM_TTL_SECONDS });
