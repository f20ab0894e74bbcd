import { Injectable } from '@nestjs/common';
import { DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';

/** An interaction no handler took stops counting as running after this long. */
const UNHANDLED_MS = 3_000;

/**
 * Interactions handled here that have not finished yet (so a shutdown can wait for them), and
 * the ones this instance handles without a claim because the database could not be asked.
 */
@Injectable()
export class InteractionsInFlight {
  /** Each interaction handled here, until its handler ends (or a while, when none takes it). */
  private readonly running = new Map<object, NodeJS.Timeout | undefined>();
  private readonly unclaimed = new WeakSet<object>();
  private waiters: Array<() => void> = [];

  /**
   * The gate let `interaction` through to the handlers: it counts as running from now on. If no
   * handler takes it (no command of that name), it stops counting after UNHANDLED_MS.
   */
  begin(interaction: object): void {
    if (this.running.has(interaction)) return;
    const timer = setTimeout(() => this.end(interaction), UNHANDLED_MS);
    timer.unref();
    this.running.set(interaction, timer);
  }

  /** A handler took `interaction`; the returned function marks it finished. */
  handling(interaction: object): () => void {
    clearTimeout(this.running.get(interaction));
    this.running.set(interaction, undefined);
    return () => this.end(interaction);
  }

  /** Work that finishes an interaction after its handler (its audit entry): counted until done. */
  track(work: Promise<unknown>): void {
    const token = {};
    this.running.set(token, undefined);
    void work.finally(() => this.end(token)).catch(() => undefined);
  }

  end(interaction: object): void {
    clearTimeout(this.running.get(interaction));
    this.running.delete(interaction);
    if (this.running.size === 0) this.waiters.splice(0).forEach((wake) => wake());
  }

  get count(): number {
    return this.running.size;
  }

  /** Resolves when no handler runs, or after `timeoutMs` (true when they all finished). */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return finished;
  }

  /** This instance handles `interaction` without having claimed it (the database was down). */
  markUnclaimed(interaction: object): void {
    this.unclaimed.add(interaction);
  }

  /**
   * Whether `error` is Discord saying that another instance answered the interaction: 40060
   * (already acknowledged: an instance that could not claim it answered first), or, for one
   * handled here without a claim, 10062 (unknown interaction). Nothing is wrong then, and nothing
   * is said or audited. 10062 on a claimed interaction is a real failure (it was answered late).
   */
  answeredElsewhere(interaction: unknown, error: unknown): boolean {
    if (!(error instanceof DiscordAPIError)) return false;
    if (error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged) return true;
    return (
      error.code === RESTJSONErrorCodes.UnknownInteraction &&
      typeof interaction === 'object' &&
      interaction !== null &&
      this.unclaimed.has(interaction)
    );
  }
}
