import { DateTime, IANAZone } from 'luxon';
import { ValidationError } from '../../libs/errors';
import { plainText } from '../../libs/text';
import type { DigestSchedule } from './service';

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** What `/service digest` was given (absent: as it was, or the default for a new digest). */
export interface DigestInput {
  channel?: { id: string; usable: boolean };
  day?: string;
  time?: string;
  timeZone?: string;
}

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const DEFAULTS = { weekday: 1, time: '09:00', timeZone: 'UTC' };

/**
 * The digest a service gets from `input` over `current`: a text channel of the home server, a
 * weekday, a time `HH:MM` and an IANA time zone (luxon knows them). A changed digest starts
 * afresh from `now`: the first one posted is the first of its times after the change.
 */
export function parseDigest(
  input: DigestInput,
  current: DigestSchedule | undefined,
  now: Date,
): DigestSchedule {
  if (input.channel && !input.channel.usable)
    throw new ValidationError(
      'Invalid channel: a text or announcement channel of this server the bot can see.',
    );
  const channelId = input.channel?.id ?? current?.channelId;
  if (!channelId) throw new ValidationError('Name the channel the digest goes to (channel:…).');
  let weekday = current?.weekday ?? DEFAULTS.weekday;
  if (input.day !== undefined) {
    const index = WEEKDAYS.indexOf(input.day.trim().toLowerCase() as (typeof WEEKDAYS)[number]);
    if (index < 0) throw new ValidationError('Invalid day: monday to sunday.');
    weekday = index + 1;
  }
  let time = current?.time ?? DEFAULTS.time;
  if (input.time !== undefined) {
    const match = TIME.exec(input.time.trim());
    if (!match) throw new ValidationError('Invalid time: HH:MM on a 24-hour clock, like 09:30.');
    time = `${match[1].padStart(2, '0')}:${match[2]}`;
  }
  let timeZone = current?.timeZone ?? DEFAULTS.timeZone;
  if (input.timeZone !== undefined) {
    const zone = input.timeZone.trim();
    if (!IANAZone.isValidZone(zone))
      throw new ValidationError(
        `Unknown time zone "${plainText(zone, 40)}": an IANA name like Europe/Berlin or UTC.`,
      );
    // The zone's canonical spelling (`america/new_york` is America/New_York).
    timeZone = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  }
  return { channelId, weekday, time, timeZone, since: now };
}

/**
 * The latest time the digest was due at or before `at`: its weekday and time, in its time zone
 * (luxon does the calendar: a time that a daylight-saving change skips moves forward, one it
 * repeats is the first).
 */
export function digestDueBefore(schedule: DigestSchedule, at: Date): Date {
  const [hour, minute] = schedule.time.split(':').map(Number);
  const local = DateTime.fromJSDate(at, { zone: schedule.timeZone });
  let due = local.set({ weekday: schedule.weekday as 1, hour, minute, second: 0, millisecond: 0 });
  if (due > local) due = due.minus({ weeks: 1 });
  return due.toJSDate();
}

/**
 * Which week's digest a due time is: its calendar date in the schedule's time zone. The key of
 * its record, so that a time the clocks pass twice (the hour repeated when they go back, where the
 * due instant moves by an hour) is still one digest, posted at the first.
 */
export function digestDate(schedule: DigestSchedule, dueAt: Date): string {
  return DateTime.fromJSDate(dueAt, { zone: schedule.timeZone }).toISODate()!;
}

/** The first time the digest is due after `at` (a week on from the last, by the calendar). */
export function digestDueAfter(schedule: DigestSchedule, at: Date): Date {
  const [hour, minute] = schedule.time.split(':').map(Number);
  const last = DateTime.fromJSDate(digestDueBefore(schedule, at), { zone: schedule.timeZone });
  return last.plus({ weeks: 1 }).set({ hour, minute }).toJSDate();
}

/** `Monday 09:00 (Europe/Berlin)` */
export function digestText(schedule: DigestSchedule): string {
  const day = WEEKDAYS[schedule.weekday - 1];
  return `${day[0].toUpperCase()}${day.slice(1)} ${schedule.time} (${schedule.timeZone})`;
}
