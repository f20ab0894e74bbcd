/**
 * The time, for every rule that depends on it (cooldowns, expiry, the watchdog, timeouts). One
 * instance serves the app; tests hand in one they can move forward instead of editing records.
 */
export class Clock {
  now(): Date {
    return new Date();
  }
}

/**
 * A clock tests move forward with `advance`. Given a start, it stands still there until moved
 * (unit specs); without one it runs with real time, ahead by what it was moved (a running app,
 * whose timers need time to pass).
 */
export class ManualClock extends Clock {
  private offsetMs = 0;

  constructor(private readonly start?: Date) {
    super();
  }

  override now(): Date {
    return new Date((this.start?.getTime() ?? Date.now()) + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
