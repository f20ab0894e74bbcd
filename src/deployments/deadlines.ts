import { LEASE_MS } from './leases';

/**
 * The deadlines of a deployment's life after it goes in flight: how long its dispatcher owns it,
 * and how long GitHub has to start its run. The dispatcher, the tracker and the deployment's
 * message all speak of them.
 */

/**
 * How long the dispatching worker owns a new deployment before the tracker (of any instance) may
 * step in: the tracker then looks for the run, and never dispatches again.
 */
export const DISPATCH_LEASE_MS = LEASE_MS;

/** First look for a run GitHub did not name (204): soon, since GitHub starts runs within seconds. */
export const RUN_DISCOVERY_DELAY_MS = 1_000;

/**
 * A dispatch's run appears within this long, or not at all: a run created later belongs to a
 * later dispatch, so an old deployment never takes it.
 */
export const DISPATCH_GRACE_MS = 120_000;

/** A run GitHub has not started this long after the dispatch gets a notice to the requester. */
export const WATCHDOG_MS = 120_000;

/** "2 minutes", for people. */
export function inMinutes(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
