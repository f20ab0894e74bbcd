import { createHash } from 'node:crypto';
import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { BackgroundRound } from '../../libs/background-round';
import { Instance } from '../../libs/instance';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { ChannelNotices, type NoticeOutcome } from '../discord/channel-notices';
import { DiscordStatus } from '../discord/discord-status';
import { digestDate, digestDueBefore } from '../service-registry/digest-settings';
import { productionEnvironmentsOf, Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { DeliveryStatsService } from './delivery-stats.service';
import { digestId, DigestStore, MAX_DIGEST_ATTEMPTS } from './digest.store';
import { statsChart } from './stats-chart';
import { digestMessage } from './digest.views';
import { chartTitle } from './stats.views';

const TICK_MS = 5_000;
/**
 * Each post holds its turn this long: a crashed instance's digest is taken over after it, and a
 * post whose record could not be written (MongoDB away) is recorded when MongoDB is back, before
 * anyone else may take it.
 */
const LEASE_MS = 10 * 60_000;
/** A digest not posted this long after its time (every instance was down) is skipped. */
export const DIGEST_LATE_LIMIT_MS = 6 * 3_600_000;
const DIGEST_DAYS = 7;

/**
 * Posts each service's weekly delivery digest (`/service digest`) at its weekday and time in its
 * time zone: the /stats figures of the last 7 days against the 7 before, with the chart, to its
 * channel. Every instance connected to Discord looks every 5 seconds; the first to take a
 * digest's record posts it (one record per service and due date in its time zone), so it is
 * posted once whatever the number of instances. A failed post is tried again a minute later, 3
 * times in all; a digest more than 6 hours late is skipped.
 */
@Injectable()
export class DigestScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Digest');
  private readonly rounds: BackgroundRound;
  /** Per service, the digest (its id) this instance knows is posted or given up. */
  private readonly settled = new Map<string, string>();
  /** Posted here, but not yet recorded so (MongoDB failed the write): id → lease owner. */
  private readonly unrecorded = new Map<string, string>();

  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly delivery: DeliveryStatsService,
    private readonly store: DigestStore,
    private readonly notices: ChannelNotices,
    private readonly discord: DiscordStatus,
    private readonly history: DeploymentHistory,
    scheduler: SchedulerRegistry,
    private readonly instance: Instance,
    private readonly clock: Clock,
  ) {
    this.rounds = new BackgroundRound(scheduler, instance, {
      name: 'digest',
      everyMs: TICK_MS,
      work: () => this.work(),
      // Nothing is tried while MongoDB is away, nor before the bot is connected to Discord.
      ready: () => this.history.connected() && this.discord.gateway().ready,
      logger: this.logger,
      failure: 'Digest round failed',
    });
  }

  onApplicationBootstrap(): void {
    this.rounds.start(true);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /** One look at every digest (shared: a round asked for while one runs is that one). */
  round(): Promise<void> {
    return this.rounds.run();
  }

  private async work(): Promise<void> {
    for (const [id, owner] of this.unrecorded) {
      await this.record(id, owner);
      this.unrecorded.delete(id);
    }
    for (const service of await this.registry.withDigest()) {
      if (this.instance.stopping) return;
      const digest = service.digest;
      if (!digest) continue;
      const now = this.clock.now();
      const dueAt = digestDueBefore(digest, now);
      if (dueAt <= new Date(digest.since) || now.getTime() - dueAt.getTime() > DIGEST_LATE_LIMIT_MS)
        continue;
      const week = digestDate(digest, dueAt);
      const id = digestId(service.name, week);
      if (this.settled.get(service.name) === id) continue;
      const owner = this.instance.leaseOwner();
      const turn = await this.store.claim(service.name, week, dueAt, now, owner, LEASE_MS);
      if (turn) {
        if (await this.post(service, turn, owner)) this.settled.set(service.name, id);
        continue;
      }
      const state = await this.store.settle(service.name, week, now);
      if (state === 'posted' || state === 'failed') {
        this.settled.set(service.name, id);
        this.logger.log(`Weekly digest of ${service.name} settled by another instance (${state})`);
      }
    }
  }

  /**
   * Posts the digest on this turn; true when that week's digest is settled (posted, or given up).
   */
  private async post(
    service: Service,
    turn: { id: string; attempts: number },
    owner: string,
  ): Promise<boolean> {
    const channelId = service.digest!.channelId;
    const outcome = await this.compose(service, channelId, turn.id).catch(
      (error: Error): NoticeOutcome => ({ sent: false, retry: true, reason: error.message }),
    );
    if (outcome.sent) {
      this.logger.log(`Weekly digest of ${service.name} posted (${turn.id})`);
      try {
        await this.record(turn.id, owner);
      } catch (error) {
        // Posted, but MongoDB did not take the word: recorded as soon as it is back (the turn is
        // held 10 minutes), so that no other instance posts it again.
        this.unrecorded.set(turn.id, owner);
        throw error;
      }
      return true;
    }
    const again = outcome.retry && turn.attempts < MAX_DIGEST_ATTEMPTS;
    this.logger.warn(
      `Weekly digest of ${service.name} not posted (try ${turn.attempts}${again ? ', tried again in a minute' : ', given up'}): ${outcome.reason}`,
    );
    const now = this.clock.now();
    const kept = await this.store.failed(
      turn.id,
      owner,
      outcome.reason.slice(0, 300),
      again ? new Date(now.getTime() + 60_000) : undefined,
    );
    if (!kept)
      this.logger.warn(`Weekly digest ${turn.id}: the turn had passed to another instance`);
    return !again;
  }

  private async record(id: string, owner: string): Promise<void> {
    if (!(await this.store.posted(id, owner, this.clock.now())))
      this.logger.warn(
        `Weekly digest ${id} was posted after its turn had passed to another instance`,
      );
  }

  /** The digest, composed and posted (the figures of the last 7 days, the chart). */
  private async compose(service: Service, channelId: string, id: string): Promise<NoticeOutcome> {
    if (!productionEnvironmentsOf(service).length)
      return { sent: false, retry: false, reason: 'the service has no production environment' };
    const stats = await this.delivery.stats(service.name, undefined, DIGEST_DAYS);
    const png = await statsChart(chartTitle(stats, DIGEST_DAYS), stats.weeks);
    return this.notices.postMessage(
      channelId,
      digestMessage(stats, DIGEST_DAYS, png),
      digestNonce(id),
    );
  }
}

/** The post's nonce (at most 25 characters): the same for every try of one digest. */
export function digestNonce(id: string): string {
  return `dg-${createHash('sha256').update(id).digest('hex').slice(0, 20)}`;
}
