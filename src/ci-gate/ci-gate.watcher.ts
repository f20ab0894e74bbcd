import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { CiGateService } from './ci-gate.service';

/** Requests read per round; the rest wait for the next one. */
const MAX_PER_ROUND = 20;

/**
 * Reads the checks of requests waiting for CI every POLL_INTERVAL_MS (each claimed by moving its
 * next check, so two rounds never read one at once) and ends the ones whose time is over.
 */
@Injectable()
export class CiGateWatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CiGate');
  private running?: Promise<unknown>;

  constructor(
    private readonly config: AppConfig,
    private readonly gate: CiGateService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(5_000, this.config.deploy.pollIntervalMs);
    this.scheduler.addInterval(
      'ci-gate-watcher',
      setInterval(() => void this.round(), every),
    );
    void this.round();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', 'ci-gate-watcher'))
      this.scheduler.deleteInterval('ci-gate-watcher');
    await this.running;
  }

  round(): Promise<unknown> {
    this.running ??= this.work()
      .catch((error: Error) => this.logger.warn(`Reading CI checks failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async work(): Promise<void> {
    await this.gate.expireDue();
    for (let read = 0; read < MAX_PER_ROUND; read++) {
      if (!(await this.gate.checkNextDue())) return;
    }
  }
}
