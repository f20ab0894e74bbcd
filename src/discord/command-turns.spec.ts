import { Turns } from './command-turns';

/** Timers the test fires itself, by their delay: no waiting on the wall clock. */
function manualTimers() {
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 0;
  return {
    schedule: (run: () => void, ms: number) => {
      pending.set(++next, { run, ms });
      return next;
    },
    cancel: (handle: never) => void pending.delete(handle as unknown as number),
    fire: (ms: number) => {
      for (const [id, timer] of [...pending]) {
        if (timer.ms !== ms) continue;
        pending.delete(id);
        timer.run();
      }
    },
    get count() {
      return pending.size;
    },
  };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('lets `limit` holders go at once and the next ones in the order they asked', async () => {
    const timers = manualTimers();
    const turns = new Turns(2, 3_000, 30_000, timers.schedule, timers.cancel);
    const order: number[] = [];
    const [a, b] = await Promise.all([turns.take(), turns.take()]);
    const waiting = [3, 4].map((n) => turns.take().then((turn) => (order.push(n), turn)));
    await settled();
    expect(turns.load).toEqual({ running: 2, waiting: 2 });
    a.release();
    a.release(); // given back once, however often it is said
    // Counted for its waiter at once: a newcomer does not pass the line.
    const newcomer = turns.take().then((turn) => (order.push(5), turn));
    const third = await waiting[0];
    expect(turns.load).toEqual({ running: 2, waiting: 2 });
    b.release();
    third.release();
    (await waiting[1]).release();
    (await newcomer).release();
    expect(order).toEqual([3, 4, 5]);
    expect(turns.load).toEqual({ running: 0, waiting: 0 });
    expect(timers.count).toBe(0);
  });

  it('lets a holder that waited too long go ahead, and refills only under the limit', async () => {
    const timers = manualTimers();
    const turns = new Turns(1, 3_000, 30_000, timers.schedule, timers.cancel);
    const first = await turns.take();
    const late = turns.take();
    await settled();
    timers.fire(3_000);
    const second = await late;
    expect(turns.load).toEqual({ running: 2, waiting: 0 });
    let thirdGone = false;
    const third = turns.take().then((turn) => ((thirdGone = true), turn));
    first.release();
    await settled();
    expect(thirdGone).toBe(false);
    second.release();
    (await third).release();
    expect(turns.load).toEqual({ running: 0, waiting: 0 });
  });

  it('takes back a turn held too long, once', async () => {
    const timers = manualTimers();
    const turns = new Turns(1, 3_000, 30_000, timers.schedule, timers.cancel);
    const stuck = await turns.take();
    const next = turns.take();
    await settled();
    timers.fire(30_000);
    const turn = await next;
    stuck.release();
    expect(turns.load).toEqual({ running: 1, waiting: 0 });
    turn.release();
    expect(turns.load).toEqual({ running: 0, waiting: 0 });
  });
});
