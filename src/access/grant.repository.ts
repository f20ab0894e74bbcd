import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Grant } from './access-level';
import { GrantDocument } from './grant.schema';

const PLAIN = { _id: 0 } as const;

@Injectable()
export class GrantRepository {
  constructor(@InjectModel(GrantDocument.name) private readonly grants: Model<GrantDocument>) {}

  /** One grant per role: granting again replaces it, atomically. */
  async put(grant: Grant): Promise<void> {
    await this.grants.updateOne({ roleId: grant.roleId }, { $set: grant }, { upsert: true });
  }

  async findForRoles(roleIds: string[]): Promise<Grant[]> {
    if (roleIds.length === 0) return [];
    return this.grants.find({ roleId: { $in: roleIds } }, PLAIN).lean<Grant[]>();
  }

  async list(): Promise<Grant[]> {
    return this.grants.find({}, PLAIN).sort({ level: 1, roleName: 1 }).lean<Grant[]>();
  }

  /** Removes the role's grant; false when it had none. */
  async remove(roleId: string): Promise<boolean> {
    return (await this.grants.deleteOne({ roleId })).deletedCount === 1;
  }
}
