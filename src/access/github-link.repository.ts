import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { duplicateKeyField } from '../../libs/mongo-errors';
import { GithubLink } from './github-link';
import { GithubLinkDocument } from './github-link.schema';

const PLAIN = { _id: 0 } as const;

/** What putting a link did: linked (and the member's link it replaced), or the login is taken. */
export type PutLinkResult = { linked: true; replaced?: GithubLink } | { linked: false };

/** Links between Discord members and GitHub logins (`github_links`). */
@Injectable()
export class GithubLinkRepository {
  constructor(
    @InjectModel(GithubLinkDocument.name) private readonly links: Model<GithubLinkDocument>,
  ) {}

  /**
   * Links the member to the login in one atomic upsert, replacing the member's own link; refused
   * (`linked: false`) when another member holds the login: the unique index on `loginKey` decides.
   */
  async put(link: GithubLink): Promise<PutLinkResult> {
    // Two upserts of one new member at once may both insert: the loser's retry finds the winner's.
    for (let attempt = 1; ; attempt++) {
      try {
        const before = await this.links
          .findOneAndUpdate(
            { memberId: link.memberId },
            { $set: link },
            { upsert: true, returnDocument: 'before', projection: PLAIN },
          )
          .lean<GithubLink>();
        return { linked: true, ...(before ? { replaced: before } : {}) };
      } catch (error) {
        const field = duplicateKeyField(error);
        if (field === 'loginKey') return { linked: false };
        if (field !== 'memberId' || attempt > 1) throw error;
      }
    }
  }

  async findByMember(memberId: string): Promise<GithubLink | undefined> {
    return (await this.links.findOne({ memberId }, PLAIN).lean<GithubLink>()) ?? undefined;
  }

  async findByLoginKey(loginKey: string): Promise<GithubLink | undefined> {
    return (await this.links.findOne({ loginKey }, PLAIN).lean<GithubLink>()) ?? undefined;
  }

  async list(): Promise<GithubLink[]> {
    return this.links.find({}, PLAIN).sort({ memberName: 1, loginKey: 1 }).lean<GithubLink[]>();
  }

  /** Removes the member's link and returns it; undefined when the member had none. */
  async remove(memberId: string): Promise<GithubLink | undefined> {
    return (
      (await this.links.findOneAndDelete({ memberId }, { projection: PLAIN }).lean<GithubLink>()) ??
      undefined
    );
  }
}
