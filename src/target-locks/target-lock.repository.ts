import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import type { Person } from '../../libs/people';
import { TargetLockDocument } from './target-lock.schema';

export interface TargetLock {
  service: string;
  environment: string;
  reason: string;
  by: Person;
  at: Date;
}

const keyOf = (service: string, environment: string) => `${service}:${environment}`;

@Injectable()
export class TargetLockRepository {
  constructor(
    @InjectModel(TargetLockDocument.name) private readonly locks: Model<TargetLockDocument>,
  ) {}

  /**
   * Locks the target, or says who holds the lock already. An unlock racing this one can remove
   * the lock between the refused insert and the read: then the insert is tried again.
   */
  async lock(
    lock: TargetLock,
  ): Promise<{ locked: true } | { locked: false; existing: TargetLock }> {
    for (;;) {
      try {
        await this.locks.create({ _id: keyOf(lock.service, lock.environment), ...lock });
        return { locked: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const existing = await this.find(lock.service, lock.environment);
        if (existing) return { locked: false, existing };
      }
    }
  }

  async unlock(service: string, environment: string): Promise<TargetLock | null> {
    return this.locks
      .findOneAndDelete({ _id: keyOf(service, environment) }, { projection: { _id: 0 } })
      .lean<TargetLock>();
  }

  async find(service: string, environment: string): Promise<TargetLock | null> {
    return this.locks.findById(keyOf(service, environment), { _id: 0 }).lean<TargetLock>();
  }
}
