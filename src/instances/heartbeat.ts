import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { InstanceSeen, InstancesRepository } from './instances.repository';

/** How often an instance says it is alive. */
export const HEARTBEAT_MS = 5_000;
/** An instance not heard from for this long is taken for dead. */
export const ALIVE_WITHIN_MS = 30_000;

/**
 * Each instance writes a heartbeat to MongoDB every 5 s, and removes it when it shuts down,
 * so `/ping` can list the instances alive. Nothing depends on it for correctness: the work
 * itself is claimed item by item.
 */
@Injectable()
export class Heartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Instances');
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private looking?: Promise<void>;
  /** Other instances as last read, and when (this instance's clock). */
  private others: { seen: InstanceSeen[]; at: number } = { seen: [], at: 0 };

  constructor(
    private readonly instance: Instance,
    private readonly instances: InstancesRepository,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`This is instance ${this.instance.id}`);
    await this.beat();
    const others = this.others.seen;
    if (others.length)
      this.logger.log(
        `${others.length} other instance(s) alive: ${others.map((seen) => seen.id).join(', ')}`,
      );
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  /**
   * The first step of a shutdown: from now on this instance takes no new work, so the others
   * stop counting it as one that can.
   */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    // A heartbeat under way would write the record again after it is removed.
    await this.beating;
    await this.instances
      .forget(this.instance.id)
      .catch((error: Error) =>
        this.logger.debug(`Could not remove the heartbeat: ${error.message}`),
      );
  }

  /** Reads the other instances' heartbeats; callers at the same moment share one read. */
  private look(): Promise<void> {
    this.looking ??= this.alive()
      .then((alive) => {
        const seen = alive.filter((other) => other.id !== this.instance.id);
        this.others = { seen, at: Date.now() };
      })
      .finally(() => (this.looking = undefined));
    return this.looking;
  }

  /** The instances heard from in the last 30 s, this one included when it is. */
  alive(): Promise<InstanceSeen[]> {
    return this.instances.seenSince(new Date(this.clock.now().getTime() - ALIVE_WITHIN_MS));
  }

  /**
   * Whether another instance was alive at the last heartbeat (read at most 10 s ago): then it
   * can take what this one cannot (an interaction while this one's database is away, or while
   * it shuts down). Known without asking the database.
   */
  othersAlive(): boolean {
    if (Date.now() - this.others.at > 2 * HEARTBEAT_MS) return false;
    return this.instancesSharing() > 1;
  }

  /**
   * How many instances share the work, as of the last heartbeat read (however old: while the
   * database is away, the last count is the best guess): this one and the others heard from
   * within three heartbeats of that read (one killed a while ago does not count).
   */
  instancesSharing(): number {
    const readAt = this.others.at;
    const alive = this.others.seen.filter(
      (seen) => readAt - seen.seenAt.getTime() <= 3 * HEARTBEAT_MS,
    );
    return 1 + alive.length;
  }

  /**
   * Whether another instance is alive, asking the database when the last heartbeat saw none (an
   * instance started moments ago may not have heard from the others yet).
   */
  async othersAliveNow(): Promise<boolean> {
    if (this.othersAlive()) return true;
    await this.look().catch(() => undefined);
    return this.othersAlive();
  }

  private beat(): Promise<void> {
    this.beating ??= this.beatAndLook().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatAndLook(): Promise<void> {
    try {
      await this.instances.beat(this.instance.id, this.instance.startedAt, this.clock.now());
      await this.look();
    } catch (error) {
      this.logger.debug(`Heartbeat failed: ${(error as Error).message}`);
    }
  }
}
