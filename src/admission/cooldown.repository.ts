import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import { CooldownDocument } from './cooldown.schema';

export type CooldownClaim =
  { claimed: true; release: () => Promise<void> } | { claimed: false; lastAcceptedAt: Date };

@Injectable()
export class CooldownRepository {
  constructor(
    @InjectModel(CooldownDocument.name) private readonly cooldowns: Model<CooldownDocument>,
  ) {}

  /**
   * Records `now` as the member's last accepted deploy if the previous one is at least
   * `cooldownMs` old, in one atomic upsert (a too-recent document makes the upsert collide).
   * `release` puts the previous value back, for a deploy refused by a later guard.
   */
  async claim(memberId: string, now: Date, cooldownMs: number): Promise<CooldownClaim> {
    try {
      const before = await this.cooldowns
        .findOneAndUpdate(
          { _id: memberId, lastAcceptedAt: { $lte: new Date(now.getTime() - cooldownMs) } },
          { $set: { lastAcceptedAt: now } },
          { upsert: true, returnDocument: 'before' },
        )
        .lean<CooldownDocument>();
      const release = async () => {
        const filter = { _id: memberId, lastAcceptedAt: now };
        if (before)
          await this.cooldowns.updateOne(filter, {
            $set: { lastAcceptedAt: before.lastAcceptedAt },
          });
        else await this.cooldowns.deleteOne(filter);
      };
      return { claimed: true, release };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const current = await this.cooldowns.findById(memberId).lean<CooldownDocument>();
      return { claimed: false, lastAcceptedAt: current?.lastAcceptedAt ?? now };
    }
  }
}
