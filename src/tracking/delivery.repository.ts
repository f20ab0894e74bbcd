import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { DeliveryDocument } from './delivery.schema';

@Injectable()
export class DeliveryRepository {
  constructor(
    @InjectModel(DeliveryDocument.name) private readonly deliveries: Model<DeliveryDocument>,
  ) {}

  /** True the first time a delivery id is seen; false for a duplicate (atomic, unique _id). */
  async recordFirst(id: string, event: string, at = new Date()): Promise<boolean> {
    try {
      await this.deliveries.create({ _id: id, event, receivedAt: at });
      return true;
    } catch (error) {
      if (error instanceof mongo.MongoServerError && error.code === 11000) return false;
      throw error;
    }
  }

  /** Lets a redelivery through again when processing failed. */
  async forget(id: string): Promise<void> {
    await this.deliveries.deleteOne({ _id: id });
  }

  /** Deliveries are kept a week for deduplication, then swept (TTL deletion is not relied on). */
  async sweepOlderThan(cutoff: Date): Promise<number> {
    return (await this.deliveries.deleteMany({ receivedAt: { $lt: cutoff } })).deletedCount;
  }
}
