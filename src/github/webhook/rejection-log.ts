import { Logger } from '@nestjs/common';

/**
 * Refused webhook requests are not logged one line each (an attacker would write the log): the
 * first of a quiet period is logged at once, the rest are counted and summarised once a period.
 */
export class RejectionLog {
  private readonly logger = new Logger('Webhook');
  private counts = new Map<string, number>();
  private lastFrom?: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly periodMs = 60_000) {
    this.timer = setInterval(() => this.flush(), periodMs);
    this.timer.unref();
  }

  note(outcome: string, from: string | undefined): void {
    const total = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    this.lastFrom = from?.slice(0, 64);
    if (total === 0)
      this.logger.warn(
        `Refused a webhook request (${outcome}) from ${this.lastFrom ?? 'unknown'}; further refusals are summarised every ${this.periodMs / 1000} s`,
      );
  }

  /** Logs what was counted since the last summary, if anything beyond the first line. */
  flush(): void {
    const total = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    if (total > 1) {
      const parts = [...this.counts.entries()].map(([outcome, n]) => `${outcome} ${n}`);
      this.logger.warn(
        `Refused ${total} webhook requests in the last period (${parts.join(', ')}); last from ${this.lastFrom ?? 'unknown'}`,
      );
    }
    this.counts = new Map();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
