import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** The longest a command waits for its turn before it runs anyway. */
export const TURN_MAX_WAIT_MS = 3_000;
/** The longest a turn handed to the error answer is held (it is given back once answered). */
const HANDED_OVER_MS = 10_000;

/** A command's turn: given back once, when its work is done (or no longer needs the turn). */
export interface Turn {
  release(): void;
}

type Schedule = (run: () => void, ms: number) => { unref?: () => unknown } | unknown;
type Cancel = (handle: never) => void;

/**
 * At most `limit` holders at once, in the order they asked, and none waits longer than
 * `maxWaitMs` (then it goes ahead, over the limit).
 */
export class Turns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaitMs: number,
    private readonly schedule: Schedule = setTimeout,
    private readonly cancel: Cancel = clearTimeout as Cancel,
  ) {}

  async take(): Promise<Turn> {
    if (this.running >= this.limit) await this.wait();
    this.running++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        this.waiting.shift()?.();
      },
    };
  }

  /** Holders now, and waiting. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      const go = () => {
        this.cancel(timer as never);
        resolve();
      };
      const timer = this.schedule(() => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve();
      }, this.maxWaitMs);
      this.waiting.push(go);
    });
  }
}

/**
 * The commands whose work after the acknowledgement is heavy (`/deploy`, `/rollback`: the
 * checks, the insert, the reply) run COMMAND_CONCURRENCY at a time on an instance. Every
 * interaction is claimed and acknowledged as it arrives (Discord allows 3 s); in a burst, the
 * work behind the acknowledgements would otherwise fill the event loop and delay the next
 * acknowledgements, so the rest wait their turn, in order, 3 s at most. A turn is given back once
 * the deployment's message is posted: the dispatch, at GitHub's pace, holds none.
 */
@Injectable()
export class CommandTurns extends Turns {
  private readonly handedOver = new WeakMap<object, Turn>();

  constructor(config: AppConfig) {
    super(config.discord.commandConcurrency, TURN_MAX_WAIT_MS);
  }

  /**
   * The command failed and the exception filter answers `interaction` next: its turn covers that
   * answer too (a refusal's reply is most of a refused command's work), and is given back once
   * it is sent (`answered`), or after 10 s whatever happens.
   */
  handOver(interaction: object, turn: Turn): void {
    this.handedOver.set(interaction, turn);
    setTimeout(() => turn.release(), HANDED_OVER_MS).unref();
  }

  /** `interaction` was answered (or will not be): a turn handed over with it is given back. */
  answered(interaction: object): void {
    this.handedOver.get(interaction)?.release();
    this.handedOver.delete(interaction);
  }
}
