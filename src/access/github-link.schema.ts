import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One member ↔ one GitHub login: each side unique, the login by its lowercased key. */
@Schema({ collection: 'github_links', versionKey: false })
export class GithubLinkDocument {
  @Prop({ required: true, unique: true })
  memberId!: string;

  @Prop({ required: true })
  memberName!: string;

  @Prop({ required: true })
  login!: string;

  @Prop({ required: true, unique: true })
  loginKey!: string;

  @Prop({ type: Object, required: true })
  linkedBy!: { id: string; name: string };

  @Prop({ required: true })
  linkedAt!: Date;
}

export const GithubLinkSchema = SchemaFactory.createForClass(GithubLinkDocument);
