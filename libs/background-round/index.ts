import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Instance } from '../instance';

export interface BackgroundRoundOptions {
  /** The interval's name in the scheduler (one per round). */
  name: string;
  everyMs: number;
  /** One round of the work. */
  work: () => Promise<unknown>;
  /** Whether a round may start now (MongoDB connected, Discord ready…); always, if absent. */
  ready?: () => boolean;
  logger: Logger;
  /** How a failed round is logged: `<failure>: <error message>`. */
  failure: string;
}

/**
 * Background work done in rounds: every `everyMs`, and whenever asked. One round at a time (a
 * round asked for while one runs is that one); none while the instance stops or while `ready`
 * says no (while MongoDB is away, nothing is tried: the driver reconnects undisturbed); a failed
 * round is logged, never thrown. `stop()` removes the interval and waits for the round running.
 */
export class BackgroundRound {
  private running?: Promise<void>;

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly instance: Instance,
    private readonly options: BackgroundRoundOptions,
  ) {}

  /** Starts the interval; with `now`, a first round at once. */
  start(now = false): void {
    this.scheduler.addInterval(
      this.options.name,
      setInterval(() => void this.run(), this.options.everyMs),
    );
    if (now) void this.run();
  }

  async stop(): Promise<void> {
    if (this.scheduler.doesExist('interval', this.options.name))
      this.scheduler.deleteInterval(this.options.name);
    await this.running;
  }

  run(): Promise<void> {
    if (this.instance.stopping || !(this.options.ready?.() ?? true)) return Promise.resolve();
    this.running ??= this.options
      .work()
      .then(() => undefined)
      .catch((error: Error) => {
        this.options.logger.warn(`${this.options.failure}: ${error.message}`);
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
