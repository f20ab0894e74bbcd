import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { DeploymentTrackingStore } from './tracking.store';
import { GithubBudget } from '../github/github-budget';
import { AppMetrics } from '../metrics/app-metrics';
import { RunTrackerService } from './run-tracker.service';

const MAX_CHECKS_PER_TICK = 200;
/**
 * Checks run side by side, at most this many (Octokit's throttling plugin lets 10 requests out
 * at once per identity: the rest stay for members' commands).
 */
export const CHECK_CONCURRENCY = 4;
/** How often (at most) the tracking modes metric is brought up to date. */
const MODES_EVERY_MS = 15_000;

/**
 * The polling side of tracking: every tick (each second, and right when the next check is due),
 * the deployments whose check is due are claimed (atomically, so two instances never poll the
 * same run) and looked at, a few side by side. At start, every deployment in flight is made
 * due, so runs that finished while the bot was down are reported.
 */
@Injectable()
export class RunPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Polling');
  private ticking?: Promise<void>;
  private stopped = false;
  private modesAt = 0;
  private wake?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly tracker: RunTrackerService,
    private readonly tracking: DeploymentTrackingStore,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
    private readonly budget: GithubBudget,
    private readonly metrics: AppMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const due = await this.tracking.markTrackedDue(this.clock.now());
    if (due > 0)
      this.logger.log(`Checking ${due} deployment(s) that were in flight before the start`);
    this.scheduler.addInterval(
      'run-poller',
      setInterval(() => void this.tick(), this.tickMs()),
    );
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wake);
    if (this.scheduler.doesExist('interval', 'run-poller'))
      this.scheduler.deleteInterval('run-poller');
    await this.ticking;
  }

  /** Runs the due checks; a tick still running makes the next one a no-op. */
  tick(): Promise<void> {
    // Every tick, even one that finds the last still running (held by the budget, say).
    this.budget.report();
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.runDueChecks().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Up to CHECK_CONCURRENCY workers take due checks until none is left (or the tick's share). */
  private async runDueChecks(): Promise<void> {
    let taken = 0;
    const worker = async () => {
      try {
        while (!this.stopped && taken < MAX_CHECKS_PER_TICK) {
          taken++;
          if (!(await this.tracker.checkNextDue())) return;
        }
      } catch (error) {
        this.logger.warn(`Polling failed: ${(error as Error).message}`);
      }
    };
    await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker));
    await this.reportModes();
    await this.wakeForNextDue();
  }

  /**
   * Between the regular ticks, wakes right when the next check is due: a run is looked at when
   * its interval is up, not up to a tick later.
   */
  private async wakeForNextDue(): Promise<void> {
    if (this.stopped) return;
    try {
      const next = await this.tracking.nextDueAt(this.clock.now());
      const inMs = next ? next.getTime() - this.clock.now().getTime() : Infinity;
      clearTimeout(this.wake);
      if (inMs < this.tickMs())
        this.wake = setTimeout(() => void this.tick(), Math.max(20, inMs)).unref();
    } catch (error) {
      this.logger.debug(`Could not read the next due check: ${(error as Error).message}`);
    }
  }

  private tickMs(): number {
    return Math.min(1_000, this.config.deploy.pollIntervalMs);
  }

  private async reportModes(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.modesAt < Math.min(MODES_EVERY_MS, this.config.deploy.pollIntervalMs)) return;
    this.modesAt = now;
    try {
      const modes = [...(await this.tracker.modes()).values()];
      for (const mode of ['webhook', 'polling'] as const)
        this.metrics.trackedRepositories.set(
          { mode },
          modes.filter((each) => each === mode).length,
        );
    } catch (error) {
      this.logger.debug(`Could not read the tracking modes: ${(error as Error).message}`);
    }
  }
}
