import { fencedWhile, LEASE_MS, RENEW_EVERY_MS } from './leases';

describe('fencedWhile', () => {
  let now = 0;
  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
  });
  afterEach(() => jest.useRealTimers());

  /** Work that ends when told to, reporting whether its signal aborted by then. */
  function work() {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let signal!: AbortSignal;
    return {
      run: (given: AbortSignal) => {
        signal = given;
        return done.then(() => signal.aborted);
      },
      finish: () => finish(),
      signal: () => signal,
    };
  }

  async function tick(times = 1) {
    for (let i = 0; i < times; i++) {
      now += RENEW_EVERY_MS;
      await jest.advanceTimersByTimeAsync(RENEW_EVERY_MS);
    }
  }

  it('keeps the work going while every renewal holds', async () => {
    const job = work();
    const result = fencedWhile(
      async () => true,
      job.run,
      () => now,
    );
    await tick(10);
    job.finish();
    await expect(result).resolves.toBe(false);
  });

  it('aborts the work as soon as a renewal says the lease is someone else’s', async () => {
    const job = work();
    const result = fencedWhile(
      async () => false,
      job.run,
      () => now,
    );
    await tick();
    expect(job.signal().aborted).toBe(true);
    expect((job.signal().reason as Error).message).toBe('lease lost');
    job.finish();
    await expect(result).resolves.toBe(true);
  });

  it('aborts the work once no renewal has held for long enough that the lease may have ended', async () => {
    const job = work();
    const result = fencedWhile(
      () => Promise.reject(new Error('MongoDB away')),
      job.run,
      () => now,
    );
    await tick((LEASE_MS - RENEW_EVERY_MS) / RENEW_EVERY_MS - 1);
    expect(job.signal().aborted).toBe(false);
    await tick();
    expect((job.signal().reason as Error).message).toBe('lease may have ended');
    job.finish();
    await expect(result).resolves.toBe(true);
  });
});
