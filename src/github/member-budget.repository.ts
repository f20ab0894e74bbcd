import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { MemberBudgetError } from './github.errors';
import { MemberBudgetDocument } from './member-budget.schema';

const WINDOW_MS = 60_000;

/**
 * GitHub requests made on behalf of one person are limited per minute (a sliding window), each
 * counted in MongoDB before it is sent, so across restarts and instances: refused or failing
 * commands cannot drain the token's rate limit for everyone.
 */
@Injectable()
export class MemberBudget {
  constructor(
    @InjectModel(MemberBudgetDocument.name) private readonly budgets: Model<MemberBudgetDocument>,
    private readonly config: AppConfig,
  ) {}

  /** Counts one GitHub request for the member; throws when the last minute's are used up. */
  async take(memberId: string, now = new Date()): Promise<void> {
    const limit = this.config.deploy.memberGithubRequestsPerMinute;
    // One atomic update appends this attempt and keeps the newest limit + 1.
    const doc = await this.budgets.collection.findOneAndUpdate(
      { _id: memberId as never },
      [
        {
          $set: {
            times: {
              $slice: [{ $concatArrays: [{ $ifNull: ['$times', []] }, [now]] }, -(limit + 1)],
            },
            expiresAt: new Date(now.getTime() + 2 * WINDOW_MS),
          },
        },
      ],
      { upsert: true, returnDocument: 'after' },
    );
    const recent = ((doc?.times as Date[] | undefined) ?? []).filter(
      (time) => now.getTime() - time.getTime() < WINDOW_MS,
    );
    if (recent.length > limit) {
      const freesAt = recent[recent.length - 1 - limit].getTime() + WINDOW_MS;
      throw new MemberBudgetError(limit, Math.max(1, Math.ceil((freesAt - now.getTime()) / 1000)));
    }
  }
}
