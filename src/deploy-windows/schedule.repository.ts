import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import type { Person } from '../../libs/people';
import { FreezeDocument, WindowDocument } from './schedule.schema';
import type { DeployWindow } from './window-rules';

export interface Freeze {
  /** Absent: every service. */
  service?: string;
  /** `*`: every environment. */
  environment: string;
  reason: string;
  by: Person;
  at: Date;
  until?: Date;
}

export interface StoredWindow extends DeployWindow {
  service: string;
  environment: string;
  by: Person;
  at: Date;
}

export const ALL_ENVIRONMENTS = '*';

const freezeKey = (service: string | undefined, environment: string) =>
  `${service ?? '*'}:${environment}`;

/** In force at `now`: no end, or an end still ahead. */
const inForce = (now: Date) => ({ $or: [{ until: null }, { until: { $gt: now } }] });

@Injectable()
export class FreezeRepository {
  constructor(@InjectModel(FreezeDocument.name) private readonly freezes: Model<FreezeDocument>) {}

  /**
   * Freezes the scope, or says who froze it already. A freeze whose `until` has passed is replaced
   * in the same atomic operation; an unfreeze racing this one makes it try again.
   */
  async freeze(
    freeze: Freeze,
    now: Date,
  ): Promise<{ frozen: true } | { frozen: false; existing: Freeze }> {
    const _id = freezeKey(freeze.service, freeze.environment);
    for (let attempt = 0; attempt < 5; attempt++) {
      const replaced = await this.freezes.findOneAndReplace(
        { _id, until: { $lte: now } },
        { _id, ...freeze },
      );
      if (replaced) return { frozen: true };
      try {
        await this.freezes.create({ _id, ...freeze });
        return { frozen: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const existing = await this.freezes
          .findOne({ _id, ...inForce(now) }, { _id: 0 })
          .lean<Freeze>();
        if (existing) return { frozen: false, existing };
      }
    }
    throw new Error(`freezing ${_id} kept racing other changes`);
  }

  /** Lifts the scope's freeze if it is in force; the freeze lifted. */
  async unfreeze(service: string | undefined, environment: string, now: Date) {
    return this.freezes
      .findOneAndDelete(
        { _id: freezeKey(service, environment), ...inForce(now) },
        { projection: { _id: 0 } },
      )
      .lean<Freeze>();
  }

  /** The freezes in force on one target, the one that ends last first. */
  async findFor(service: string, environment: string, now: Date): Promise<Freeze[]> {
    const found = await this.freezes
      .find(
        {
          environment: { $in: [environment, ALL_ENVIRONMENTS] },
          service: { $in: [service, null] },
          ...inForce(now),
        },
        { _id: 0 },
      )
      .lean<Freeze[]>();
    const end = (freeze: Freeze) => freeze.until?.getTime() ?? Infinity;
    return found.sort((a, b) => end(b) - end(a));
  }

  async listInForce(now: Date): Promise<Freeze[]> {
    return this.freezes.find(inForce(now), { _id: 0 }).limit(100).lean<Freeze[]>();
  }
}

@Injectable()
export class WindowRepository {
  constructor(@InjectModel(WindowDocument.name) private readonly windows: Model<WindowDocument>) {}

  async add(window: StoredWindow): Promise<void> {
    const { id, ...rest } = window;
    await this.windows.create({ _id: id, ...rest });
  }

  async remove(service: string, environment: string, id: string): Promise<StoredWindow | null> {
    const removed = await this.windows
      .findOneAndDelete({ _id: id, service, environment })
      .lean<WindowDocument>();
    return removed ? stored(removed) : null;
  }

  async listFor(service: string, environment: string): Promise<StoredWindow[]> {
    const found = await this.windows
      .find({ service, environment })
      .sort({ at: 1, _id: 1 })
      .limit(50)
      .lean<WindowDocument[]>();
    return found.map(stored);
  }
}

function stored(document: WindowDocument): StoredWindow {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}
