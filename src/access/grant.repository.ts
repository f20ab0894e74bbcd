import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Grant } from './access-level';
import { AccessBootstrapDocument } from './access-bootstrap.schema';
import { GrantDocument } from './grant.schema';

const PLAIN = { _id: 0 } as const;

/** Grants by role, always read for one server: grants made in another never count. */
@Injectable()
export class GrantRepository {
  constructor(
    @InjectModel(GrantDocument.name) private readonly grants: Model<GrantDocument>,
    @InjectModel(AccessBootstrapDocument.name)
    private readonly bootstraps: Model<AccessBootstrapDocument>,
  ) {}

  /** One grant per role: granting again replaces it, atomically. */
  async put(grant: Grant): Promise<void> {
    await this.grants.updateOne(
      { roleId: grant.roleId, guildId: grant.guildId },
      { $set: grant },
      { upsert: true },
    );
  }

  async findForRoles(guildId: string, roleIds: string[]): Promise<Grant[]> {
    if (roleIds.length === 0) return [];
    return this.grants.find({ guildId, roleId: { $in: roleIds } }, PLAIN).lean<Grant[]>();
  }

  /** Whether any role holds the admin level in the server, for some environments or all. */
  async hasAdmin(guildId: string): Promise<boolean> {
    return Boolean(await this.grants.exists({ guildId, level: 'admin' }));
  }

  /** Whether the server's first-run bootstrap is over (see AccessBootstrapDocument). */
  async bootstrapEnded(guildId: string): Promise<boolean> {
    return Boolean(await this.bootstraps.exists({ guildId }));
  }

  /** Ends the server's bootstrap for good: one upsert, the first moment kept. */
  async endBootstrap(guildId: string, at: Date): Promise<void> {
    await this.bootstraps.updateOne(
      { guildId },
      { $setOnInsert: { guildId, endedAt: at } },
      { upsert: true },
    );
  }

  async list(guildId: string): Promise<Grant[]> {
    return this.grants.find({ guildId }, PLAIN).sort({ level: 1, roleName: 1 }).lean<Grant[]>();
  }

  /** Removes the role's grant; false when it had none. */
  async remove(guildId: string, roleId: string): Promise<boolean> {
    return (await this.grants.deleteOne({ guildId, roleId })).deletedCount === 1;
  }

  /**
   * Grants recorded before grants named their server: those whose role belongs to the home
   * server are the home server's (a role id is unique across Discord, and a role can only be
   * granted from its own server). Returns how many were adopted and how many stay ignored.
   */
  async adoptLegacy(
    guildId: string,
    homeRoleIds: string[],
  ): Promise<{ adopted: number; ignored: number }> {
    const legacy = { guildId: { $exists: false } };
    const { modifiedCount } = await this.grants.updateMany(
      { ...legacy, roleId: { $in: homeRoleIds } },
      { $set: { guildId } },
    );
    return { adopted: modifiedCount, ignored: await this.grants.countDocuments(legacy) };
  }
}
