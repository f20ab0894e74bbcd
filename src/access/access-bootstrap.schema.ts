import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * That a server's first-run bootstrap is over: written once its first admin exists, and never
 * removed, so revoking every admin grant later does not hand access back to Discord's
 * Administrators (ADMIN_ROLE_IDS is the way back in).
 */
@Schema({ collection: 'access_bootstrap', versionKey: false })
export class AccessBootstrapDocument {
  @Prop({ required: true, unique: true })
  guildId!: string;

  @Prop({ required: true })
  endedAt!: Date;
}

export const AccessBootstrapSchema = SchemaFactory.createForClass(AccessBootstrapDocument);
