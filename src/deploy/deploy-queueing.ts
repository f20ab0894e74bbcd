import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { QueueEntry, QueueStore } from '../admission/queue.store';
import { AppConfig } from '../config/app-config';
import { OfferedRefusal } from '../discord/interaction-errors';
import { queueOfferControls } from '../discord/queue-buttons';
import { AppMetrics } from '../metrics/app-metrics';
import { DeployRequest, DeployService } from './deploy.service';
import { MemberQueueLimitError, OfferGoneError, QueueFullError } from './deploy.errors';

/** Refusals a queue waits out: the target becomes free, open or unlocked by itself. */
const QUEUEABLE: Record<string, string> = {
  'DEPLOY.TARGET_BUSY': 'a deployment in flight',
  'DEPLOY.CAPACITY': 'room under the cap on deployments in flight',
  'DEPLOY.TARGET_LOCKED': 'the lock to be lifted',
  'DEPLOY.FROZEN': 'the freeze to be lifted',
  'DEPLOY.WINDOW_CLOSED': 'its deploy window to open',
};
/** Of those, the ones an admin may push one deployment through ("Deploy anyway"). */
const OVERRIDABLE = ['DEPLOY.FROZEN', 'DEPLOY.WINDOW_CLOSED'];
/**
 * The most requests one member has in line, on all targets together (with the cooldown, which a
 * queued request takes like a deploy, it keeps one member from filling the queues).
 */
export const MAX_IN_LINE_PER_MEMBER = 5;
/** An offer to queue a refused request holds this long. */
const OFFER_MS = 15 * 60_000;

/**
 * Putting /deploy requests in their target's queue: `/deploy … queue:true`, and the offer made on
 * a refusal the queue could wait out ("Queue it"; for a freeze or a closed window, an admin's
 * "Deploy anyway" too).
 */
@Injectable()
export class DeployQueueing {
  constructor(
    private readonly deploys: DeployService,
    private readonly queue: QueueStore,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
  ) {}

  /**
   * Queues the request (checked first: the target, the member's rights there, the ref), or takes
   * up the offer `offerId` made on its refusal. Its position, 1 being next.
   */
  async enqueue(
    actor: Actor,
    request: DeployRequest,
    channelId: string,
    options: { waitedFor?: string; offerId?: string } = {},
  ): Promise<{ entry: QueueEntry; position: number }> {
    const inLine = await this.queue.countInLineFor(actor.id);
    if (inLine >= MAX_IN_LINE_PER_MEMBER) throw new MemberQueueLimitError(MAX_IN_LINE_PER_MEMBER);
    const prepared = await this.deploys.prepareToQueue(actor, request);
    const now = this.clock.now();
    const entry = {
      service: prepared.service.name,
      environment: prepared.environment,
      ...(prepared.ref ? { ref: prepared.ref } : {}),
      shaAtQueue: prepared.sha,
      ...(request.hotfix ? { hotfix: true } : {}),
      requester: { id: actor.id, name: actor.name },
      channelId,
      ...(options.waitedFor ? { waitedFor: options.waitedFor } : {}),
      expiresAt: new Date(now.getTime() + this.config.queue.ttlMs),
    };
    let queued = false;
    try {
      const result = await this.queue.enqueue(
        options.offerId
          ? { ...entry, id: options.offerId, state: 'offered', createdAt: now }
          : entry,
        now,
        entry.expiresAt,
        this.config.queue.maxPerTarget,
      );
      if ('gone' in result) throw new OfferGoneError();
      if ('full' in result) {
        this.metrics.queue.inc({ outcome: 'full' });
        throw new QueueFullError(entry, result.full);
      }
      queued = true;
      this.metrics.queue.inc({ outcome: 'queued' });
      return result;
    } finally {
      // A request that did not get into the queue gives the cooldown it took back.
      if (!queued) await prepared.release();
    }
  }

  /**
   * The refusal of a /deploy, with "Queue it" under it when a queue could wait it out (and, for a
   * freeze or a closed window, "Deploy anyway" for an admin). Anything else, or an offer that
   * could not be stored, is the refusal as it was.
   */
  async offer(
    error: unknown,
    actor: Actor,
    request: DeployRequest,
    channelId: string | null,
  ): Promise<unknown> {
    if (!(error instanceof AppError) || !QUEUEABLE[error.code] || !channelId) return error;
    try {
      const now = this.clock.now();
      const offer = await this.queue.offer(
        {
          service: request.service.trim().toLowerCase(),
          environment: request.environment.trim().toLowerCase(),
          ...(request.ref ? { ref: request.ref.trim() } : {}),
          ...(request.hotfix ? { hotfix: true } : {}),
          requester: { id: actor.id, name: actor.name },
          channelId,
          waitedFor: QUEUEABLE[error.code],
          expiresAt: new Date(now.getTime() + OFFER_MS),
        },
        now,
      );
      return new OfferedRefusal(
        error,
        queueOfferControls(offer.id, OVERRIDABLE.includes(error.code)),
      );
    } catch {
      return error;
    }
  }
}
