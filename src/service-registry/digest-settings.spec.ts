import { ValidationError } from '../../libs/errors';
import {
  digestDate,
  digestDueAfter,
  digestDueBefore,
  digestText,
  parseDigest,
} from './digest-settings';
import type { DigestSchedule } from './service';

const NOW = new Date('2026-12-02T10:00:00Z'); // a Wednesday
const CHANNEL = { id: '123', usable: true };

describe('parseDigest', () => {
  it('takes Monday 09:00 UTC unless told otherwise, and starts from now', () => {
    expect(parseDigest({ channel: CHANNEL }, undefined, NOW)).toEqual({
      channelId: '123',
      weekday: 1,
      time: '09:00',
      timeZone: 'UTC',
      since: NOW,
    });
  });

  it('changes what is given and keeps the rest', () => {
    const current: DigestSchedule = {
      channelId: '123',
      weekday: 5,
      time: '16:30',
      timeZone: 'Europe/Berlin',
      since: new Date('2026-01-01T00:00:00Z'),
    };
    expect(parseDigest({ time: '7:05' }, current, NOW)).toEqual({
      ...current,
      time: '07:05',
      since: NOW,
    });
    expect(
      parseDigest({ day: 'Sunday', timeZone: 'america/new_york' }, current, NOW),
    ).toMatchObject({ weekday: 7, timeZone: 'America/New_York', time: '16:30' });
  });

  it.each([
    [{}, 'Name the channel the digest goes to (channel:…).'],
    [
      { channel: { id: '9', usable: false } },
      'Invalid channel: a text or announcement channel of this server the bot can see.',
    ],
    [{ channel: CHANNEL, day: 'someday' }, 'Invalid day: monday to sunday.'],
    [{ channel: CHANNEL, time: '24:00' }, 'Invalid time: HH:MM on a 24-hour clock, like 09:30.'],
    [{ channel: CHANNEL, time: '9am' }, 'Invalid time: HH:MM on a 24-hour clock, like 09:30.'],
    [
      { channel: CHANNEL, timeZone: 'Mars/Olympus' },
      'Unknown time zone "Mars/Olympus": an IANA name like Europe/Berlin or UTC.',
    ],
  ])('refuses %j', (input, message) => {
    expect(() => parseDigest(input, undefined, NOW)).toThrow(new ValidationError(message));
  });
});

describe('digestDueBefore', () => {
  const schedule = (overrides: Partial<DigestSchedule>): DigestSchedule => ({
    channelId: '1',
    weekday: 1,
    time: '09:00',
    timeZone: 'UTC',
    since: new Date(0),
    ...overrides,
  });

  it('is the last weekday and time at or before the moment', () => {
    // Wednesday 2 Dec 10:00 UTC: the Monday before, 30 Nov 09:00.
    expect(digestDueBefore(schedule({}), NOW)).toEqual(new Date('2026-11-30T09:00:00Z'));
    // Wednesday 10:00 exactly is due now; 10:01 is still a week ahead.
    expect(digestDueBefore(schedule({ weekday: 3, time: '10:00' }), NOW)).toEqual(NOW);
    expect(digestDueBefore(schedule({ weekday: 3, time: '10:01' }), NOW)).toEqual(
      new Date('2026-11-25T10:01:00Z'),
    );
  });

  it('reads the weekday and time in the time zone, across a daylight-saving change', () => {
    // Berlin is UTC+1 in winter: Monday 09:00 there is 08:00 UTC.
    expect(digestDueBefore(schedule({ timeZone: 'Europe/Berlin' }), NOW)).toEqual(
      new Date('2026-11-30T08:00:00Z'),
    );
    // Tuesday 31 March 2026, after Berlin moved to UTC+2 (29 March): the Monday 30 March 09:00
    // there is 07:00 UTC; the Monday before, 23 March, was 08:00 UTC.
    const after = new Date('2026-03-31T12:00:00Z');
    expect(digestDueBefore(schedule({ timeZone: 'Europe/Berlin' }), after)).toEqual(
      new Date('2026-03-30T07:00:00Z'),
    );
    expect(
      digestDueBefore(schedule({ timeZone: 'Europe/Berlin' }), new Date('2026-03-30T06:59:00Z')),
    ).toEqual(new Date('2026-03-23T08:00:00Z'));
    // Tokyo is 9 hours ahead: Monday 09:00 there is Monday 00:00 UTC.
    expect(digestDueBefore(schedule({ timeZone: 'Asia/Tokyo' }), NOW)).toEqual(
      new Date('2026-11-30T00:00:00Z'),
    );
  });

  it('is one digest, posted at the first, for a time the clocks pass twice', () => {
    // Sunday 25 October 2026, Berlin goes back from UTC+2 to UTC+1 at 01:00 UTC: 02:30 there
    // happens at 00:30 UTC and again at 01:30 UTC. Every minute of that night, as the scheduler
    // looks, names the due digest by its date there: one digest, first due at 00:30 UTC.
    const sunday = schedule({ weekday: 7, time: '02:30', timeZone: 'Europe/Berlin' });
    const seen = new Map<string, Date>();
    for (
      let t = Date.parse('2026-10-24T22:00:00Z');
      t <= Date.parse('2026-10-25T04:00:00Z');
      t += 60_000
    ) {
      const due = digestDueBefore(sunday, new Date(t));
      const key = digestDate(sunday, due);
      if (!seen.has(key)) seen.set(key, new Date(t));
    }
    expect([...seen.keys()]).toEqual(['2026-10-18', '2026-10-25']);
    expect(seen.get('2026-10-25')).toEqual(new Date('2026-10-25T00:30:00Z'));
  });

  it('says when the next one is, by the calendar across a daylight-saving change', () => {
    const monday = schedule({ timeZone: 'Europe/Berlin' });
    // Set on Saturday 28 March (UTC+1); the next Monday 09:00 is after the change (UTC+2).
    expect(digestDueAfter(monday, new Date('2026-03-28T12:00:00Z'))).toEqual(
      new Date('2026-03-30T07:00:00Z'),
    );
    expect(digestDueAfter(monday, new Date('2026-03-30T07:00:00Z'))).toEqual(
      new Date('2026-04-06T07:00:00Z'),
    );
  });

  it('says when in words', () => {
    expect(digestText(schedule({ weekday: 5, time: '16:30', timeZone: 'Europe/Berlin' }))).toBe(
      'Friday 16:30 (Europe/Berlin)',
    );
  });
});
