/**
 * Leases on background work. Every item of background work (a run's check, a message's update,
 * a GitHub record's sync, a dispatch) is taken with one atomic update that sets a lease: an end
 * time and, where the work renews it, an owner (`<instance id>#<n>`, see libs/instance). Two
 * workers, of one instance or of several, never hold one item at once. A worker renews its lease
 * while it works; the lease of an instance that died ends by itself, and another instance takes
 * the item over within LEASE_MS (plus its sweep's period).
 *
 * Clocks: each instance compares lease ends with its own clock. A lease is renewed when it still
 * has 15 s to run, so instances whose clocks differ by less than 15 s never take a living
 * worker's item; keep them in step with NTP (a few ms apart in practice).
 */
export const LEASE_MS = 20_000;
export const RENEW_EVERY_MS = 5_000;

/**
 * Runs `work` while renewing its lease every RENEW_EVERY_MS. A renewal that fails (the database
 * blinked) is tried again on the next tick; the lease still has at least 15 s to run.
 */
export async function renewingWhile<T>(
  renew: () => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => void renew().catch(() => undefined), RENEW_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `work` while renewing its lease, like renewingWhile, and fences it: `work` gets a signal
 * that aborts as soon as a renewal says the lease is someone else's now, or when no renewal has
 * held for long enough that the lease may have ended (the database away). A request made with
 * that signal is never sent once the lease may be lost: waiting in a queue, it is dropped before
 * it goes out; on its way, it is abandoned (its outcome then unknown, as after a timeout).
 */
export async function fencedWhile<T>(
  renew: () => Promise<boolean>,
  work: (signal: AbortSignal) => Promise<T>,
  now: () => number,
): Promise<T> {
  const fence = new AbortController();
  let heldAt = now();
  const timer = setInterval(() => {
    if (now() - heldAt >= LEASE_MS - RENEW_EVERY_MS) fence.abort(new Error('lease may have ended'));
    void renew()
      .then((held) => (held ? (heldAt = now()) : fence.abort(new Error('lease lost'))))
      .catch(() => undefined);
  }, RENEW_EVERY_MS);
  try {
    return await work(fence.signal);
  } finally {
    clearInterval(timer);
  }
}
