import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { Person } from './deployment';
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

  /** Locks the target; null when it was locked already (the existing lock is returned instead). */
  async lock(
    lock: TargetLock,
  ): Promise<{ locked: true } | { locked: false; existing: TargetLock }> {
    try {
      await this.locks.create({ _id: keyOf(lock.service, lock.environment), ...lock });
      return { locked: true };
    } catch (error) {
      if (!(error instanceof mongo.MongoServerError) || error.code !== 11000) throw error;
      return { locked: false, existing: (await this.find(lock.service, lock.environment))! };
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

  async listForService(service: string): Promise<TargetLock[]> {
    return this.locks.find({ service }, { _id: 0 }).lean<TargetLock[]>();
  }
}
