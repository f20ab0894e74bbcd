import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** The longest a command waits for its turn before it runs anyway. */
export const TURN_MAX_WAIT_MS = 3_000;
/** The longest a turn is held, whatever happens to its command (it is given back then). */
export const TURN_MAX_HOLD_MS = 30_000;

/** A command's turn: given back once, when its work is done (or no longer needs the turn). */
export interface Turn {
  release(): void;
}

type Schedule = (run: () => void, ms: number) => unknown;
type Cancel = (handle: never) => void;

/**
 * At most `limit` holders at once, in the order they asked. None waits longer than `maxWaitMs`
 * (then it goes ahead, over the limit, and the next waiter goes only once the count is back under
 * it), and a turn is given back after `maxHoldMs` at the latest, so a command that never ends
 * costs the others nothing for good.
 */
export class Turns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaitMs: number,
    private readonly maxHoldMs: number,
    private readonly schedule: Schedule = (run, ms) => setTimeout(run, ms).unref(),
    private readonly cancel: Cancel = clearTimeout as Cancel,
  ) {}

  async take(): Promise<Turn> {
    // A waiter goes first: nobody passes the line between a release and its waiter's turn.
    if (this.running < this.limit && !this.waiting.length) this.running++;
    else await this.wait();
    let released = false;
    const hold = this.schedule(() => release(), this.maxHoldMs);
    const release = () => {
      if (released) return;
      released = true;
      this.cancel(hold as never);
      this.running--;
      this.next();
    };
    return { release };
  }

  /** Holders now, and waiting. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** The first waiter goes, when there is room: its turn is counted here, before it resumes. */
  private next(): void {
    if (this.running >= this.limit) return;
    const go = this.waiting.shift();
    if (!go) return;
    this.running++;
    go();
  }

  /** Resolves with the turn counted: given by a release, or taken over the limit after the wait. */
  private wait(): Promise<void> {
    return new Promise((resolve) => {
      const go = () => {
        this.cancel(timer as never);
        resolve();
      };
      const timer = this.schedule(() => {
        const at = this.waiting.indexOf(go);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        this.running++;
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
    super(config.discord.commandConcurrency, TURN_MAX_WAIT_MS, TURN_MAX_HOLD_MS);
  }

  /**
   * The command failed and the exception filter answers `interaction` next: its turn covers that
   * answer too (a refusal's reply is most of a refused command's work), and is given back once
   * it is sent (`answered`), or when its hold ends.
   */
  handOver(interaction: object, turn: Turn): void {
    this.handedOver.set(interaction, turn);
  }

  /** `interaction` was answered (or will not be): a turn handed over with it is given back. */
  answered(interaction: object): void {
    this.handedOver.get(interaction)?.release();
    this.handedOver.delete(interaction);
  }
}
