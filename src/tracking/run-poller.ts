import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { DeploymentTrackingStore } from '../deployments/deployment-tracking.store';
import { RunTrackerService } from './run-tracker.service';

const MAX_CHECKS_PER_TICK = 50;

/**
 * The polling fallback: every tick, the deployments whose check is due are claimed one by one
 * (atomically, so two instances never poll the same run) and looked at. At start, every
 * deployment in flight is made due, so runs that finished while the bot was down are reported.
 */
@Injectable()
export class RunPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Polling');
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly tracker: RunTrackerService,
    private readonly tracking: DeploymentTrackingStore,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const due = await this.tracking.markTrackedDue(this.clock.now());
    if (due > 0)
      this.logger.log(`Checking ${due} deployment(s) that were in flight before the start`);
    const every = Math.min(1_000, this.config.deploy.pollIntervalMs);
    this.scheduler.addInterval(
      'run-poller',
      setInterval(() => void this.tick(), every),
    );
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', 'run-poller'))
      this.scheduler.deleteInterval('run-poller');
    await this.ticking;
  }

  /** Runs the due checks; a tick still running makes the next one a no-op. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.runDueChecks().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async runDueChecks(): Promise<void> {
    try {
      for (let i = 0; i < MAX_CHECKS_PER_TICK && !this.stopped; i++) {
        if (!(await this.tracker.checkNextDue())) break;
      }
    } catch (error) {
      this.logger.warn(`Polling failed: ${(error as Error).message}`);
    }
  }
}
