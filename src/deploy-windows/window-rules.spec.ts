import { ValidationError } from '../../libs/errors';
import {
  checkWindow,
  closedTheSameSince,
  DeployWindow,
  endOf,
  formatWindowDuration,
  localTime,
  parseDuration,
  scheduleAt,
  spanAt,
} from './window-rules';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

/** Friday 16:00 to Monday 08:00 in Berlin: the issue's own example. */
const weekend: DeployWindow = {
  id: 'w-1',
  kind: 'deny',
  cron: '0 16 * * 5',
  durationMs: 64 * HOUR,
  timeZone: 'Europe/Berlin',
};

describe('window arithmetic', () => {
  describe('across the end of daylight-saving time (Berlin, Sunday 25 October 2026, 03:00 CEST → 02:00 CET)', () => {
    // Starts Friday 23 October 16:00 CEST = 14:00Z. 64 wall-clock hours later is Monday 26
    // October 08:00 local, which is CET by then: 07:00Z. That is 65 real hours.
    it('ends on Monday at 08:00 local time, 65 real hours after the start', () => {
      const start = at('2026-10-23T14:00:00Z');
      const end = endOf(weekend, start);
      expect(end.toISOString()).toBe('2026-10-26T07:00:00.000Z');
      expect((end.getTime() - start.getTime()) / HOUR).toBe(65);
      expect(localTime(end, 'Europe/Berlin')).toBe('Mon 26 Oct 08:00 (UTC+01:00)');
    });

    it('is closed from Friday 16:00 to Monday 08:00 local, open a minute either side', () => {
      expect(scheduleAt([weekend], at('2026-10-23T13:59:00Z')).open).toBe(true);
      expect(scheduleAt([weekend], at('2026-10-23T14:00:00Z')).open).toBe(false);
      // Sunday night, in the repeated hour after the clocks went back.
      expect(scheduleAt([weekend], at('2026-10-25T01:30:00Z')).open).toBe(false);
      expect(scheduleAt([weekend], at('2026-10-26T06:59:00Z')).open).toBe(false);
      expect(scheduleAt([weekend], at('2026-10-26T07:00:00Z')).open).toBe(true);
    });

    it('says when it opens while closed, and when it closes while open', () => {
      const closed = scheduleAt([weekend], at('2026-10-24T10:00:00Z'));
      expect(closed.deniedBy?.window.id).toBe('w-1');
      expect(closed.changesAt?.toISOString()).toBe('2026-10-26T07:00:00.000Z');
      // The next Friday is already CET: 16:00 local = 15:00Z.
      const open = scheduleAt([weekend], at('2026-10-27T10:00:00Z'));
      expect(open).toEqual({ open: true, changesAt: at('2026-10-30T15:00:00Z') });
    });
  });

  describe('across the start of daylight-saving time (Berlin, Sunday 29 March 2026, 02:00 CET → 03:00 CEST)', () => {
    // Friday 27 March 16:00 CET = 15:00Z; Monday 30 March 08:00 CEST = 06:00Z: 63 real hours.
    it('ends on Monday at 08:00 local time, 63 real hours after the start', () => {
      const start = at('2026-03-27T15:00:00Z');
      expect(endOf(weekend, start).toISOString()).toBe('2026-03-30T06:00:00.000Z');
      expect(scheduleAt([weekend], at('2026-03-30T05:59:00Z')).open).toBe(false);
      expect(scheduleAt([weekend], at('2026-03-30T06:00:00Z')).open).toBe(true);
    });

    it('starts a window set at a local time the change skips at the first moment after it', () => {
      // 02:30 does not exist on 29 March in Berlin: the window starts at 03:30 CEST (01:30Z).
      const night: DeployWindow = { ...weekend, cron: '30 2 * * *', durationMs: HOUR };
      const span = spanAt(night, at('2026-03-29T01:45:00Z'));
      expect(span?.start.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    });
  });

  describe('allow and deny together', () => {
    // Weekdays 09:00–17:00 in New York (EST in January: UTC−5).
    const office: DeployWindow = {
      id: 'w-2',
      kind: 'allow',
      cron: '0 9 * * 1-5',
      durationMs: 8 * HOUR,
      timeZone: 'America/New_York',
    };
    const lunch: DeployWindow = {
      id: 'w-3',
      kind: 'deny',
      cron: '0 12 * * *',
      durationMs: HOUR,
      timeZone: 'America/New_York',
    };

    it('takes deploys only inside an allow window, and gives the next opening', () => {
      // Saturday 9 January 2027, 15:00Z: closed; opens Monday 11 January 09:00 EST = 14:00Z.
      const state = scheduleAt([office, lunch], at('2027-01-09T15:00:00Z'));
      expect(state.open).toBe(false);
      expect(state.deniedBy).toBeUndefined();
      expect(state.changesAt?.toISOString()).toBe('2027-01-11T14:00:00.000Z');
    });

    it('lets deny win inside an allow window', () => {
      // Monday 12:30 EST = 17:30Z: inside the office hours and inside lunch.
      const state = scheduleAt([office, lunch], at('2027-01-11T17:30:00Z'));
      expect(state.open).toBe(false);
      expect(state.deniedBy?.window.id).toBe('w-3');
      expect(state.changesAt?.toISOString()).toBe('2027-01-11T18:00:00.000Z');
    });

    it('is open with no windows at all, and says nothing about a change', () => {
      expect(scheduleAt([], at('2027-01-11T17:30:00Z'))).toEqual({ open: true });
    });
  });

  describe('checking a new window', () => {
    const now = at('2026-12-04T12:00:00Z');

    it('gives the next three spans in order', () => {
      const { next } = checkWindow(weekend, [], now);
      expect(next.map((span) => span.start.toISOString())).toEqual([
        '2026-12-04T15:00:00.000Z',
        '2026-12-11T15:00:00.000Z',
        '2026-12-18T15:00:00.000Z',
      ]);
      expect(next[0].end.toISOString()).toBe('2026-12-07T07:00:00.000Z');
    });

    it.each([
      ['a cron expression that never fires', { cron: '0 0 30 2 *' }, /never fires|Invalid cron/],
      ['a cron expression with six fields', { cron: '0 0 16 * * 5' }, /five fields/],
      ['nonsense', { cron: 'every friday' }, /five fields|Invalid cron/],
      ['a time zone that does not exist', { timeZone: 'Mars/Olympus_Mons' }, /IANA/],
      ['a duration of zero', { durationMs: 0 }, /Invalid duration/],
      [
        'a deny window that fires every minute for an hour',
        { cron: '* * * * *', durationMs: HOUR },
        /more often than once an hour/,
      ],
      ['a window that starts twice within an hour', { cron: '0,30 9 * * *' }, /once an hour/],
      ['a random (H) minute', { cron: 'H 16 * * 5' }, /`H`/],
      [
        'a deny window that starts again as it ends (every day for a day)',
        { cron: '0 0 * * *', durationMs: 24 * HOUR },
        /closed for good/,
      ],
    ])('refuses %s', (_what, change, message) => {
      expect(() => checkWindow({ ...weekend, ...change }, [], now)).toThrow(ValidationError);
      expect(() => checkWindow({ ...weekend, ...change }, [], now)).toThrow(message);
    });

    // Monday 00:00 for five days, and Saturday 00:00 for two: together, every moment.
    const weekday: DeployWindow = {
      ...weekend,
      id: 'w-2',
      cron: '0 0 * * 1',
      durationMs: 5 * 24 * HOUR,
    };
    const saturday: DeployWindow = {
      ...weekend,
      id: 'w-3',
      cron: '0 0 * * 6',
      durationMs: 2 * 24 * HOUR,
    };

    it('refuses an allow window that every opening of falls inside a deny window', () => {
      // The two deny windows leave the target closed for good already; an allow window cannot open it.
      const noon: DeployWindow = {
        ...weekend,
        id: 'w-4',
        kind: 'allow',
        cron: '0 12 * * *',
        durationMs: HOUR,
      };
      expect(() => checkWindow(noon, [weekday, saturday], now)).toThrow(/never open/);
    });

    it("refuses a deny window that, with the target's other deny window, leaves no opening", () => {
      expect(() => checkWindow(saturday, [weekday], now)).toThrow(/closed for good/);
      expect(checkWindow(saturday, [], now).next).toHaveLength(3);
    });

    it('allows an hourly allow window, and a deny window that overlaps itself only sometimes', () => {
      const hourly: DeployWindow = {
        ...weekend,
        kind: 'allow',
        cron: '0 * * * *',
        durationMs: 60_000,
      };
      expect(checkWindow(hourly, [], now).next).toHaveLength(3);
      // The 1st at 09:00 to the 2nd at 21:00, overlapping the start on the 2nd: still opens.
      const monthStart: DeployWindow = { ...weekend, cron: '0 9 1,2 * *', durationMs: 36 * HOUR };
      expect(checkWindow(monthStart, [], now).next).toHaveLength(3);
    });
  });

  describe('what an override made at one moment covers later', () => {
    const created = at('2026-11-01T00:00:00Z');
    // Weekdays 09:00 to 17:00 in Berlin, and the weekend deny window from Friday 16:00.
    const office: DeployWindow & { at: Date } = {
      id: 'w-2',
      kind: 'allow',
      cron: '0 9 * * 1-5',
      durationMs: 8 * HOUR,
      timeZone: 'Europe/Berlin',
      at: created,
    };
    const friday = { ...weekend, at: created };

    it('covers the same deny span, not the next one', () => {
      // Overridden Saturday 5 December; still Sunday: the span from Friday 4 December.
      const since = at('2026-12-05T10:00:00Z');
      expect(closedTheSameSince([friday], since, at('2026-12-06T10:00:00Z'))).toBe(true);
      // The next weekend's span started after the override.
      expect(closedTheSameSince([friday], since, at('2026-12-12T10:00:00Z'))).toBe(false);
    });

    it('does not cover a deny window older than the override whose span starts after it', () => {
      // Overridden Friday 4 December 14:00 Berlin (outside the deny window), sent at 16:30.
      const since = at('2026-12-04T13:00:00Z');
      expect(closedTheSameSince([friday], since, at('2026-12-04T15:30:00Z'))).toBe(false);
    });

    it('does not cover a deny window added after the override', () => {
      const since = at('2026-12-05T10:00:00Z');
      const added = { ...weekend, at: at('2026-12-05T11:00:00Z') };
      expect(closedTheSameSince([added], since, at('2026-12-05T12:00:00Z'))).toBe(false);
    });

    it('covers the time outside the allow windows it was made in, until one opens', () => {
      // Overridden Monday 7 December 20:00 Berlin (after office hours), sent at 22:00.
      const since = at('2026-12-07T19:00:00Z');
      expect(closedTheSameSince([office], since, at('2026-12-07T21:00:00Z'))).toBe(true);
      // Tuesday evening: the office window opened and closed again in between.
      expect(closedTheSameSince([office], since, at('2026-12-08T19:00:00Z'))).toBe(false);
    });

    it('does not cover the end of the allow window it was made in (an override of a freeze)', () => {
      // Overridden Monday 16:00 Berlin, inside office hours; sent at 17:30, after they ended.
      const since = at('2026-12-07T15:00:00Z');
      expect(closedTheSameSince([office], since, at('2026-12-07T16:30:00Z'))).toBe(false);
    });
  });

  describe('the cost of a search', () => {
    // Ten hourly allow windows a minute long, each at its own minute, closed by a deny window
    // for the first week of each month: finding the opening walks ~ 7 × 24 × 10 starts. The
    // search stops at its budget and says how far the state is known to hold instead of
    // blocking the event loop.
    const allows: DeployWindow[] = Array.from({ length: 10 }, (_, i) => ({
      id: `w-a${i}`,
      kind: 'allow',
      cron: `${i} * * * *`,
      durationMs: 60_000,
      timeZone: 'UTC',
    }));
    const month: DeployWindow = {
      id: 'w-m',
      kind: 'deny',
      cron: '0 0 1 * *',
      durationMs: 7 * 24 * HOUR,
      timeZone: 'UTC',
    };

    it('stops at its budget and says until when the state is known', () => {
      const state = scheduleAt([...allows, month], at('2027-01-01T00:30:00Z'));
      expect(state.open).toBe(false);
      expect(state.changesAt).toBeUndefined();
      expect(state.lookedUntil!.getTime()).toBeGreaterThan(at('2027-01-01T00:30:00Z').getTime());
      expect(state.lookedUntil!.getTime()).toBeLessThan(at('2027-01-08T00:00:00Z').getTime());
    });

    it('is open inside an hourly allow minute and closed between them, outside the deny window', () => {
      expect(scheduleAt([...allows, month], at('2026-12-31T23:05:30Z')).open).toBe(true);
      expect(scheduleAt([...allows, month], at('2026-12-31T23:15:00Z')).open).toBe(false);
    });
  });

  it('reads durations as people write them', () => {
    expect(parseDuration('64h')).toBe(64 * HOUR);
    expect(parseDuration('1d12h')).toBe(36 * HOUR);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * 24 * HOUR);
    for (const bad of ['', '0m', '5', 'h', '1y', '-1h', '1h 2x'])
      expect(parseDuration(bad)).toBeUndefined();
    expect(formatWindowDuration(64 * HOUR)).toBe('2d 16h');
  });
});
