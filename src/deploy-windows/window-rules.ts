import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import { ValidationError } from '../../libs/errors';
import { plainText } from '../../libs/text';

/**
 * A scheduled window of a target: from each start the cron expression gives (in its time zone)
 * for `durationMs`. `deny` closes the target meanwhile; with `allow` windows, the target takes
 * deploys only inside one of them. Deny wins over allow.
 *
 * Cron and time zones are never computed by hand: cron-parser finds the starts in the zone
 * (daylight-saving changes included) and luxon does the wall-clock arithmetic of the end.
 */
export interface DeployWindow {
  id: string;
  kind: 'deny' | 'allow';
  cron: string;
  durationMs: number;
  timeZone: string;
}

export interface WindowSpan {
  window: DeployWindow;
  start: Date;
  end: Date;
}

/** Where a target stands at one moment. */
export interface ScheduleState {
  open: boolean;
  /** Closed: the deny window that closes it (the one that ends last), if one does. */
  deniedBy?: WindowSpan;
  /** When it opens (closed) or closes (open), if that happens within a year. */
  changesAt?: Date;
  /**
   * No change found up to here, but the search stopped early (its budget of window starts ran
   * out): the state holds at least until then, and may change after.
   */
  lookedUntil?: Date;
}

/** How far ahead the rules look for an opening or a closing. */
export const HORIZON_MS = 366 * 24 * 3_600_000;
/**
 * The most window starts one search for the next change walks through, all windows together:
 * each start costs a cron step and a time-zone computation, and a search runs on the event loop.
 * Checking a new window looks further, once.
 */
export const SEARCH_BUDGET = 200;
export const CHECK_BUDGET = 12_000;
/** Starts of one window closer together than this are refused (a cron firing every minute). */
export const MIN_START_GAP_MS = 3_600_000;
/** How many starts of a new window are checked for that gap (a cron's pattern repeats). */
const GAP_SAMPLE = 200;
export const MIN_DURATION_MS = 60_000;
export const MAX_DURATION_MS = 31 * 24 * 3_600_000;

const DURATION = /^(?:(\d{1,4})w)?(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?$/;

/** `64h`, `90m`, `1d12h`, `2w`: a duration in minutes, hours, days and weeks. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toLowerCase());
  if (!match || !text.trim()) return undefined;
  const [, w, d, h, m] = match.map((part) => Number(part ?? 0));
  const ms = (((w * 7 + d) * 24 + h) * 60 + m) * 60_000;
  return ms > 0 ? ms : undefined;
}

/** `64h`, `1d 2h`, `45m`: a duration as people write it back. */
export function formatWindowDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1_440);
  const h = Math.floor((minutes % 1_440) / 60);
  const m = minutes % 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join(' ') || '0m';
}

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function expression(window: DeployWindow, currentDate: Date) {
  return CronExpressionParser.parse(window.cron, { tz: window.timeZone, currentDate });
}

/**
 * The last start at or before `at`. Walking back skips a start at a local time a spring change
 * leaves out, where walking forward moves it to the first moment after the change: the start
 * found backwards is confirmed forwards, so both directions agree on every start.
 */
export function startAtOrBefore(window: DeployWindow, at: Date): Date | undefined {
  let starts: ReturnType<typeof expression>;
  let start: Date;
  try {
    starts = expression(window, new Date(at.getTime() + 1));
    start = starts.prev().toDate();
  } catch {
    return undefined;
  }
  // The same iterator, forwards from the start found: one parse for both directions.
  for (let step = 0; step < 3; step++) {
    let next: Date;
    try {
      next = starts.next().toDate();
    } catch {
      break;
    }
    if (next.getTime() > at.getTime()) break;
    start = next;
  }
  return start;
}

/** The first start after `at`. */
export function startAfter(window: DeployWindow, at: Date): Date | undefined {
  try {
    return expression(window, at).next().toDate();
  } catch {
    return undefined;
  }
}

/**
 * The end of the window that starts at `start`: the duration is wall-clock time in the window's
 * zone (Friday 16:00 for 64h ends Monday 08:00 local, whatever daylight saving does between).
 */
export function endOf(window: DeployWindow, start: Date): Date {
  return DateTime.fromJSDate(start, { zone: window.timeZone })
    .setZone('UTC', { keepLocalTime: true })
    .plus({ milliseconds: window.durationMs })
    .setZone(window.timeZone, { keepLocalTime: true })
    .toJSDate();
}

/** The span of `window` that covers `at`, if one does (start ≤ at < end). */
export function spanAt(window: DeployWindow, at: Date): WindowSpan | undefined {
  const start = startAtOrBefore(window, at);
  if (!start) return undefined;
  const end = endOf(window, start);
  return at.getTime() < end.getTime() ? { window, start, end } : undefined;
}

/** Open, or closed and by which deny window, given the span of each window that covers `at`. */
function stateFrom(spans: Array<{ window: DeployWindow; span?: WindowSpan }>) {
  let deniedBy: WindowSpan | undefined;
  let allowed = false;
  let anyAllow = false;
  for (const { window, span } of spans) {
    if (window.kind === 'allow') {
      anyAllow = true;
      if (span) allowed = true;
    } else if (span && (!deniedBy || span.end > deniedBy.end)) deniedBy = span;
  }
  if (deniedBy) return { open: false, deniedBy };
  return { open: !anyAllow || allowed };
}

/** How many window starts a search may still walk through. */
class Budget {
  constructor(public left: number) {}
}

/**
 * One window walked forward in time: its last start so far and the next one, from one cron
 * iterator (each step is one `next()`, not a new parse).
 */

class Cursor {
  private readonly starts: ReturnType<typeof expression> | undefined;
  last?: WindowSpan;
  next?: Date;

  constructor(
    readonly window: DeployWindow,
    at: Date,
    private readonly budget: Budget,
  ) {
    const start = startAtOrBefore(window, at);
    if (start) this.last = { window, start, end: endOf(window, start) };
    try {
      this.starts = expression(window, at);
      this.next = this.starts.next().toDate();
    } catch {
      this.next = undefined;
    }
  }

  /** Moves to `t`: every start up to it becomes the last. */
  moveTo(t: Date): void {
    while (this.next && this.next.getTime() <= t.getTime()) {
      this.budget.left--;
      this.last = { window: this.window, start: this.next, end: endOf(this.window, this.next) };
      try {
        this.next = this.starts!.next().toDate();
      } catch {
        this.next = undefined;
      }
    }
  }

  spanAt(t: Date): WindowSpan | undefined {
    return this.last && t.getTime() < this.last.end.getTime() ? this.last : undefined;
  }

  /** The next moment after `t` when this window starts or ends. */
  boundaryAfter(t: Date): Date | undefined {
    const end = this.spanAt(t)?.end;
    return end && (!this.next || end < this.next) ? end : this.next;
  }
}

/**
 * Whether the target is open at `at`, what closes it, and when that changes: the windows'
 * boundaries walked in time order until the state changes, within a year and within `budget`
 * window starts (past it, `lookedUntil` says how far the state is known to hold).
 */
export function scheduleAt(
  windows: DeployWindow[],
  at: Date,
  budget: number = SEARCH_BUDGET,
): ScheduleState {
  const left = new Budget(budget);
  const cursors = windows.map((window) => new Cursor(window, at, left));
  const stateAt = (t: Date) =>
    stateFrom(cursors.map((cursor) => ({ window: cursor.window, span: cursor.spanAt(t) })));
  const state = stateAt(at);
  if (windows.length === 0) return state;
  const limit = at.getTime() + HORIZON_MS;
  let t = at;
  for (;;) {
    let boundary: Date | undefined;
    for (const cursor of cursors) {
      const candidate = cursor.boundaryAfter(t);
      if (candidate && candidate > t && (!boundary || candidate < boundary)) boundary = candidate;
    }
    if (!boundary || boundary.getTime() > limit) return state;
    if (left.left <= 0) return { ...state, lookedUntil: t };
    t = boundary;
    for (const cursor of cursors) cursor.moveTo(t);
    if (stateAt(t).open !== state.open) return { ...state, changesAt: t };
  }
}

/**
 * Whether what closes the target by its windows at `now` closed it already at `since` (an
 * admin's override made then covers it): every deny span covering now started by then, in a
 * window that existed then; and if no allow window covers now, the target had allow windows then
 * and was outside all of them, and none has started since (it did not open and close again).
 */
export function closedTheSameSince(
  windows: Array<DeployWindow & { at: Date }>,
  since: Date,
  now: Date,
): boolean {
  const existed = (window: { at: Date }) => window.at.getTime() <= since.getTime();
  for (const window of windows.filter((each) => each.kind === 'deny')) {
    const span = spanAt(window, now);
    if (span && (!existed(window) || span.start.getTime() > since.getTime())) return false;
  }
  const allows = windows.filter((each) => each.kind === 'allow');
  if (allows.length === 0 || allows.some((window) => spanAt(window, now))) return true;
  const before = allows.filter(existed);
  if (before.length === 0 || before.some((window) => spanAt(window, since))) return false;
  return allows.every((window) => {
    const last = startAtOrBefore(window, now);
    return !last || last.getTime() <= since.getTime();
  });
}

/**
 * Checks a new window and gives its next three spans: a cron expression that does not parse or
 * never fires, a zone that does not exist, a duration out of range, or a deny window that would
 * keep the target closed for good (with the windows it already has) is refused with a reason.
 */
export function checkWindow(
  window: DeployWindow,
  others: DeployWindow[],
  now: Date,
): { next: WindowSpan[] } {
  if (!isTimeZone(window.timeZone))
    throw new ValidationError(
      `Invalid time zone: "${window.timeZone.slice(0, 64)}" is not an IANA time zone (for example Europe/Berlin, America/New_York or UTC).`,
    );
  if (window.cron.trim().split(/\s+/).length !== 5)
    throw new ValidationError(
      'Invalid cron expression: five fields, minute hour day-of-month month day-of-week (for example `0 16 * * 5`).',
    );
  if (/(^|[^a-z])h(?![a-z])/i.test(window.cron))
    throw new ValidationError(
      'Invalid cron expression: `H` (a random minute or hour) is not supported here; write the time out.',
    );
  try {
    expression(window, now);
  } catch (error) {
    throw new ValidationError(
      `Invalid cron expression: ${plainText((error as Error).message).slice(0, 200)}.`,
    );
  }
  if (window.durationMs < MIN_DURATION_MS || window.durationMs > MAX_DURATION_MS)
    throw new ValidationError('Invalid duration: from 1 minute (`1m`) to 31 days (`31d`).');
  const starts: Date[] = [];
  const iterator = expression(window, now);
  while (starts.length < GAP_SAMPLE) {
    let start: Date;
    try {
      start = iterator.next().toDate();
    } catch {
      break;
    }
    if (start.getTime() > now.getTime() + HORIZON_MS) break;
    const previous = starts[starts.length - 1];
    if (previous && start.getTime() - previous.getTime() < MIN_START_GAP_MS)
      throw new ValidationError(
        `The cron expression \`${window.cron}\` starts the window more often than once an hour (${localTime(previous, window.timeZone)} and ${localTime(start, window.timeZone)}): a deploy window starts at most hourly.`,
      );
    starts.push(start);
  }
  if (starts.length === 0)
    throw new ValidationError(
      `The cron expression \`${window.cron}\` never fires within a year in ${window.timeZone}: the window would never start.`,
    );
  const next = starts.slice(0, 3).map((start) => ({ window, start, end: endOf(window, start) }));
  const all = [...others, window];
  const state = scheduleAt(all, now, CHECK_BUDGET);
  const after = state.changesAt && scheduleAt(all, state.changesAt, CHECK_BUDGET);
  if (state.lookedUntil || after?.lookedUntil)
    throw new ValidationError(
      'These windows change too often to check a year ahead: use fewer windows, or crons that fire less often.',
    );
  // Closed now and never opening, or open now but closing for good at its next change.
  const closedForGood = state.open ? after && !after.changesAt : !state.changesAt;
  if (closedForGood)
    throw new ValidationError(
      window.kind === 'deny'
        ? `This deny window would keep the target closed for good: \`${window.cron}\` starts again before each ${formatWindowDuration(window.durationMs)} ends, or the target's other windows never open around it. Use /freeze to stop deploys until further notice.`
        : `With this allow window the target would never open within a year: deny windows cover every span it allows.`,
    );
  return { next };
}

/** `Fri 11 Dec 16:00 (UTC+01:00)`: a moment as the window's zone shows it. */
export function localTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat("ccc d LLL HH:mm '(UTC'ZZ')'");
}
