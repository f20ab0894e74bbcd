import { ManualClock } from '../../libs/clock';
import { GithubBudget, pointsOf } from './github-budget';

function budget(perMinute: number, instances = 1) {
  const clock = new ManualClock(new Date('2026-11-24T12:00:00Z'));
  const pauses: number[] = [];
  let waits = 0;
  const subject = new GithubBudget({
    perMinute,
    instances: () => instances,
    onWait: () => waits++,
    clock,
    // A wait moves the clock on instead of taking time.
    pause: async (ms) => {
      pauses.push(ms);
      clock.advance(ms);
    },
  });
  return { subject, clock, pauses, waits: () => waits };
}

describe('GithubBudget', () => {
  it("weighs requests as GitHub's secondary limit does: a read 1 point, a write 5", () => {
    expect(['GET', 'head', 'OPTIONS'].map(pointsOf)).toEqual([1, 1, 1]);
    expect(['POST', 'PATCH', 'PUT', 'DELETE'].map(pointsOf)).toEqual([5, 5, 5, 5]);
  });

  it('lets background requests go while the minute has room, then holds them until it has', async () => {
    const { subject, pauses, waits, clock } = budget(10);
    for (let i = 0; i < 10; i++) await subject.spendForBackground(1);
    expect(pauses).toEqual([]);
    const started = clock.now().getTime();
    await subject.spendForBackground(1);
    // Held until the first request of the minute left the window.
    expect(clock.now().getTime() - started).toBe(60_000);
    expect(waits()).toBe(1);
    expect(subject.used()).toEqual({ command: 0, background: 1 });
  });

  it('never holds a command, and counts it against the room background work has', async () => {
    const { subject, pauses } = budget(10);
    for (let i = 0; i < 12; i++) subject.spendForCommand(1);
    expect(subject.used()).toEqual({ command: 12, background: 0 });
    await subject.spendForBackground(1);
    expect(pauses.length).toBeGreaterThan(0);
  });

  it('gives each instance alive its part of the budget', () => {
    expect(budget(600, 1).subject.limit()).toBe(600);
    expect(budget(600, 2).subject.limit()).toBe(300);
    expect(budget(600, 0).subject.limit()).toBe(600);
  });

  it('serves held background requests in the order they asked', async () => {
    const { subject } = budget(2);
    await subject.spendForBackground(1);
    await subject.spendForBackground(1);
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) => subject.spendForBackground(1).then(() => order.push(n))),
    );
    expect(order).toEqual([1, 2, 3]);
  });

  it('reports its part and what was spent of it', async () => {
    const reports: unknown[] = [];
    const clock = new ManualClock();
    const subject = new GithubBudget({
      perMinute: 600,
      instances: () => 2,
      clock,
      onReport: (limit, used) => reports.push({ limit, ...used }),
    });
    subject.spendForCommand(5);
    await subject.spendForBackground(1);
    subject.report();
    clock.advance(61_000);
    subject.report();
    expect(reports).toEqual([
      { limit: 300, command: 5, background: 1 },
      { limit: 300, command: 0, background: 0 },
    ]);
  });
});
