import { OnModuleDestroy } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';

const MINUTE_MS = 60_000;

/**
 * A request's weight under GitHub's secondary rate limit for the REST API (900 points a minute
 * per identity): a GET (or HEAD, OPTIONS) costs 1 point and any other method 5, 304s included.
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#calculating-points-for-the-secondary-rate-limit
 */
export function pointsOf(method: string): number {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 1 : 5;
}

/** The bot is shutting down and its GitHub budget has no room left this minute. */
export class BudgetClosedError extends AppError {
  constructor() {
    super('GITHUB.BUDGET_CLOSED', 'The bot is shutting down; GitHub was not asked.');
  }
}

export type BudgetUse = 'command' | 'background';

const neverHeld = new AsyncLocalStorage<true>();

/**
 * Runs `work` with its GitHub requests counted but never held, like a member's: a dispatch must
 * go out while its lease holds (held, it could reach GitHub after the deployment was given up).
 */
export function unheld<T>(work: () => T): T {
  return neverHeld.run(true, work);
}

export function isUnheld(): boolean {
  return neverHeld.getStore() === true;
}

export interface BudgetOptions {
  /** Points a minute the bot's own work may use, all instances together. */
  perMinute: number;
  /** How many instances share it (each takes its part). */
  instances: () => number;
  /** Counts a background request that had to wait. */
  onWait?: () => void;
  /** Shows the part and what was spent of it (metrics). */
  onReport?: (limit: number, used: Record<BudgetUse, number>) => void;
  clock?: Clock;
  /** How a wait is spent (a test moves its clock instead). */
  pause?: (ms: number) => Promise<void>;
}

/**
 * The bot's GitHub budget, per minute and sliding. A member's command (or click) is never held
 * and always counted; the bot's own work (polling, discovery, GitHub's deployment records, …)
 * goes only while everything this instance spent in the last minute, commands included, leaves
 * room under its part of `perMinute`. Commands go first: the more they use, the less background
 * work runs, and with the default 600 of GitHub's 900, commands keep at least 300 points a minute.
 * Background requests wait their turn in order.
 */
export class GithubBudget implements OnModuleDestroy {
  private readonly spent: Array<{ at: number; points: number; use: BudgetUse }> = [];
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly wakers = new Set<() => void>();
  private readonly clock: Clock;
  private readonly pause: (ms: number) => Promise<void>;

  constructor(private readonly options: BudgetOptions) {
    this.clock = options.clock ?? new Clock();
    this.pause = options.pause ?? ((ms) => this.sleep(ms));
  }

  /**
   * At shutdown (before the workers finish their last item): a background request that would
   * have to wait fails at once instead, so no worker holds the shutdown up for a minute.
   */
  onModuleDestroy(): void {
    this.closed = true;
    for (const wake of this.wakers) wake();
  }

  /** This instance's part of the budget, in points a minute (room for one write at least). */
  limit(): number {
    return Math.max(5, Math.floor(this.options.perMinute / Math.max(1, this.options.instances())));
  }

  /** Points spent in the last minute, by use. */
  used(): Record<BudgetUse, number> {
    this.forgetOld();
    const used = { command: 0, background: 0 };
    for (const entry of this.spent) used[entry.use] += entry.points;
    return used;
  }

  /** Hands the current figures to `onReport` (the poller does, every second). */
  report(): void {
    this.options.onReport?.(this.limit(), this.used());
  }

  /** A member's request: counted, never held. */
  spendForCommand(points: number): void {
    this.spent.push({ at: this.clock.now().getTime(), points, use: 'command' });
  }

  /** The bot's own request: resolves once the budget has room for it (in the order asked). */
  spendForBackground(points: number): Promise<void> {
    const turn = this.queue.then(() => this.waitForRoom(points));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForRoom(points: number): Promise<void> {
    let waited = false;
    for (;;) {
      const { command, background } = this.used();
      if (command + background + points <= this.limit() || this.spent.length === 0) break;
      if (this.closed) throw new BudgetClosedError();
      if (!waited) this.options.onWait?.();
      waited = true;
      // Until the oldest spending leaves the window (at least a moment, so time moves on).
      const oldest = this.spent[0].at;
      await this.pause(Math.max(50, oldest + MINUTE_MS - this.clock.now().getTime()));
    }
    this.spent.push({ at: this.clock.now().getTime(), points, use: 'background' });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wakers.add(wake);
    });
  }

  private forgetOld(): void {
    const since = this.clock.now().getTime() - MINUTE_MS;
    while (this.spent.length && this.spent[0].at <= since) this.spent.shift();
  }
}
