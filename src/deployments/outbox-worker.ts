import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { LEASE_MS, renewingWhile } from './leases';

/** A change made while a worker held the lease leaves the deployment due: it goes again, so often. */
const ROUNDS = 5;

/** The worker lost its lease meanwhile: it records and sends nothing more (its successor does). */
export class LeaseLost extends Error {}
/** The instance stops: the worker gives its lease back unused; the deployment stays due. */
export class Stopping extends Error {}

/** What a worker's store offers: which deployments are due, and a lease on each. */
export interface OutboxStore<Claim> {
  findDue(now: Date, limit: number): Promise<string[]>;
  claim(id: string, now: Date, leaseMs: number, owner: string): Promise<Claim | null>;
  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  release(id: string, owner: string): Promise<void>;
}

/**
 * The skeleton of an outbox worker: a projection of deployments (their Discord message, GitHub's
 * record of them) kept in step with the record. A change triggers a sync; a sweep catches up
 * with missed events, retries and other instances' changes. Each sync claims the deployment's
 * lease (one worker of all instances at a time), renews it while it works, and gives it back
 * when done; one whose lease was taken over records nothing. A subclass says what is due
 * (`store`), does the work (`sync`), and whether syncs run side by side or one at a time.
 */
export abstract class OutboxWorker<Claim>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected abstract readonly logger: Logger;
  /** One sync at a time (GitHub's writes, a second apart), or as many as are due (Discord). */
  protected abstract readonly serial: boolean;
  /** How often due deployments are looked for, and how many at a time. */
  protected abstract readonly sweep: { everyMs: number; batch: number };
  protected stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly queued = new Set<string>();
  private draining?: Promise<void>;
  private sweeping?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    protected readonly store: OutboxStore<Claim>,
    protected readonly clock: Clock,
    protected readonly instance: Instance,
  ) {}

  /**
   * Brings the deployment's projection up to date under the lease `owner`; `renew` says whether
   * the lease is still held (a sender renews it right before each thing it sends). Returns
   * whether the deployment has caught up (false: it goes again while rounds are left, unless
   * a retry is planned: then `retry`).
   */
  protected abstract sync(
    claim: Claim,
    owner: string,
    renew: () => Promise<boolean>,
  ): Promise<'caught-up' | 'again' | 'retry'>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.catchUp(), this.sweep.everyMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.settled();
  }

  /** Brings one deployment's projection up to date, in the background. */
  trigger(id: string): void {
    if (this.stopped) return;
    if (this.serial) {
      this.queued.add(id);
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
      return;
    }
    const run = this.caughtUp(id).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves when every sync started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size || this.draining || this.sweeping)
      await Promise.all([...this.running, this.draining, this.sweeping]);
  }

  private async drain(): Promise<void> {
    for (let id = this.next(); id && !this.stopped; id = this.next()) await this.caughtUp(id);
  }

  private next(): string | undefined {
    const [id] = this.queued;
    if (id) this.queued.delete(id);
    return id;
  }

  /** Catches up with deployments that are due. */
  private catchUp(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = this.store
      .findDue(this.clock.now(), this.sweep.batch)
      .then((ids) => ids.filter((id) => !this.queued.has(id)).forEach((id) => this.trigger(id)))
      .catch((error: Error) => this.logger.debug(`Sweep failed: ${error.message}`))
      .finally(() => (this.sweeping = undefined));
  }

  /** Syncs the deployment until it has caught up (or a retry is planned); never throws. */
  private async caughtUp(id: string): Promise<void> {
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const owner = this.instance.leaseOwner();
        const claim = await this.store.claim(id, this.clock.now(), LEASE_MS, owner);
        if (!claim) return;
        const outcome = await this.syncHolding(id, claim, owner);
        if (outcome !== 'again') return;
      }
    } catch (error) {
      this.logger.warn(`Keeping ${id} in step failed: ${(error as Error).message}`);
    }
  }

  /** One sync under the lease, renewed while it works; a blink of the database is not a loss. */
  private async syncHolding(id: string, claim: Claim, owner: string) {
    let leaseEnd = this.clock.now().getTime() + LEASE_MS;
    const renew = async () => {
      const now = this.clock.now();
      try {
        const held = await this.store.renew(id, owner, now, LEASE_MS);
        if (held) leaseEnd = now.getTime() + LEASE_MS;
        return held;
      } catch {
        // The database blinked: the lease is still this worker's until its known end.
        return now.getTime() < leaseEnd - 1_000;
      }
    };
    try {
      return await renewingWhile(renew, () => this.sync(claim, owner, renew));
    } catch (error) {
      if (error instanceof Stopping) {
        await this.store.release(id, owner);
        return 'retry';
      }
      if (!(error instanceof LeaseLost)) throw error;
      this.logger.warn(`Lost the lease on ${id}; its new holder carries on`);
      return 'retry';
    }
  }
}
