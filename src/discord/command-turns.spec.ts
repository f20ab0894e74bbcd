import { Turns } from './command-turns';

/** Timers the test fires itself: no waiting on the wall clock. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    schedule: (run: () => void) => {
      pending.set(++next, run);
      return next;
    },
    cancel: (handle: never) => void pending.delete(handle as unknown as number),
    fireAll: () => {
      const due = [...pending.values()];
      pending.clear();
      due.forEach((run) => run());
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
    const turns = new Turns(2, 3_000, timers.schedule, timers.cancel);
    const order: number[] = [];
    const [a, b] = await Promise.all([turns.take(), turns.take()]);
    const waiting = [3, 4].map((n) => turns.take().then((turn) => (order.push(n), turn)));
    await settled();
    expect(turns.load).toEqual({ running: 2, waiting: 2 });
    a.release();
    a.release(); // given back once, however often it is said
    const third = await waiting[0];
    expect(order).toEqual([3]);
    expect(turns.load).toEqual({ running: 2, waiting: 1 });
    b.release();
    third.release();
    (await waiting[1]).release();
    expect(order).toEqual([3, 4]);
    expect(turns.load).toEqual({ running: 0, waiting: 0 });
    expect(timers.count).toBe(0);
  });

  it('lets a holder that waited too long go ahead, over the limit', async () => {
    const timers = manualTimers();
    const turns = new Turns(1, 3_000, timers.schedule, timers.cancel);
    const first = await turns.take();
    const late = turns.take();
    await settled();
    expect(turns.load).toEqual({ running: 1, waiting: 1 });
    timers.fireAll();
    const second = await late;
    expect(turns.load).toEqual({ running: 2, waiting: 0 });
    first.release();
    second.release();
    expect(turns.load).toEqual({ running: 0, waiting: 0 });
  });
});
