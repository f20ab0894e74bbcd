import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { ApprovalService } from './approval.service';

/** Expires pending requests on time (never by MongoDB TTL: expired requests stay in the record). */
@Injectable()
export class ApprovalSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Approvals');
  private running?: Promise<unknown>;

  constructor(
    private readonly config: AppConfig,
    private readonly approvals: ApprovalService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(5_000, Math.max(200, this.config.approval.timeoutMs / 4));
    this.scheduler.addInterval(
      'approval-sweeper',
      setInterval(() => void this.sweep(), every),
    );
    void this.sweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', 'approval-sweeper'))
      this.scheduler.deleteInterval('approval-sweeper');
    await this.running;
  }

  sweep(): Promise<unknown> {
    this.running ??= this.approvals
      .expireDue()
      .catch((error: Error) => this.logger.warn(`Expiring approvals failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
