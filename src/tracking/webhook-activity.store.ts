import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { TrackingMode, trackingMode } from './run-schedule';
import { WebhookActivityDocument } from './webhook-activity.schema';

/** One instance writes a repository's time at most this often (deliveries come in bursts). */
const NOTE_EVERY_MS = 30_000;
/** Repositories this instance remembers writing for; past it, it starts over. */
const REMEMBERED = 10_000;

/**
 * Which repositories' run webhooks reach the bot: the time of the last `workflow_run` event
 * about one of the bot's runs (dated by the run), from each, shared by all instances. The tracker
 * polls runs of a repository heard from lately only as a backstop.
 */
@Injectable()
export class WebhookActivityStore {
  private readonly written = new Map<string, number>();

  constructor(
    @InjectModel(WebhookActivityDocument.name)
    private readonly activity: Model<WebhookActivityDocument>,
  ) {}

  /** A verified delivery from `repository` (`owner/repo`) arrived at `at`. */
  async noteDelivery(repository: string, at: Date): Promise<void> {
    const key = repository.toLowerCase();
    const last = this.written.get(key);
    if (last !== undefined && at.getTime() - last < NOTE_EVERY_MS && at.getTime() >= last) return;
    if (this.written.size >= REMEMBERED) this.written.clear();
    this.written.set(key, at.getTime());
    // $max: a delivery processed late never moves the time back.
    await this.activity.updateOne({ _id: key }, { $max: { lastDeliveryAt: at } }, { upsert: true });
  }

  /** The last delivery from each of `repositories` (lowercased `owner/repo`) heard from at all. */
  async lastDeliveries(repositories: string[]): Promise<Map<string, Date>> {
    const keys = [...new Set(repositories.map((repository) => repository.toLowerCase()))];
    if (!keys.length) return new Map();
    const docs = await this.activity.find({ _id: { $in: keys } }).lean<WebhookActivityDocument[]>();
    return new Map(docs.map((doc) => [doc._id, doc.lastDeliveryAt]));
  }

  /** How `repository` (`owner/repo`) is followed at `now`, and when it was last heard from. */
  async modeOf(
    repository: string,
    now: Date,
  ): Promise<{ mode: TrackingMode; lastDeliveryAt?: Date }> {
    const lastDeliveryAt = (await this.lastDeliveries([repository])).get(repository.toLowerCase());
    return { mode: trackingMode(lastDeliveryAt, now), lastDeliveryAt };
  }
}
