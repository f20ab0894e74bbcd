import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { InstanceDocument } from './instance.schema';

/** An instance as the others see it. */
export interface InstanceSeen {
  id: string;
  startedAt: Date;
  seenAt: Date;
}

/** The bot's instances and their heartbeats. */
@Injectable()
export class InstancesRepository {
  constructor(
    @InjectModel(InstanceDocument.name) private readonly instances: Model<InstanceDocument>,
  ) {}

  async beat(id: string, startedAt: Date, now: Date): Promise<void> {
    await this.instances.updateOne(
      { _id: id },
      { $set: { seenAt: now }, $setOnInsert: { startedAt } },
      { upsert: true },
    );
  }

  async forget(id: string): Promise<void> {
    await this.instances.deleteOne({ _id: id });
  }

  /** Instances seen since `since`, the longest-running first. */
  async seenSince(since: Date): Promise<InstanceSeen[]> {
    const docs = await this.instances
      .find({ seenAt: { $gte: since } })
      .sort({ startedAt: 1 })
      .limit(50)
      .lean<Array<InstanceDocument>>();
    return docs.map((doc) => ({
      id: doc._id,
      startedAt: doc.startedAt,
      seenAt: doc.seenAt,
    }));
  }
}
