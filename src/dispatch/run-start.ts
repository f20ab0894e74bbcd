import { dispatchAskedAt } from '../deployments/deployment';
import { LEASE_MS } from '../deployments/leases';
import type { TrackingMode } from '../deployments/webhook-activity.store';

/**
 * How long GitHub has to start a dispatched run, and what the bot does meanwhile: one home for
 * the timings the dispatcher, the tracker and the deployment's message all speak of.
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

type PollTiming = { pollIntervalMs: number; pollBackstopMs: number };

/** How often a run is polled in `mode`: `POLL_BACKSTOP_MS` while webhooks arrive, else `POLL_INTERVAL_MS`. */
export function pollEveryMs(mode: TrackingMode, timing: PollTiming): number {
  return mode === 'webhook' ? timing.pollBackstopMs : timing.pollIntervalMs;
}

/**
 * When a deployment following its run is looked at next: after the mode's interval
 * (`POLL_INTERVAL_MS`, or `POLL_BACKSTOP_MS` while webhooks arrive), or sooner, right when
 * something expected is overdue: the watchdog's moment for a run not yet started, and the
 * deployment's timeout.
 */
export function nextRunCheckAt(
  deployment: {
    status: string;
    createdAt: Date;
    dispatchRequestedAt?: Date;
    dispatchedAt?: Date;
    watchdogNotifiedAt?: Date;
  },
  now: Date,
  mode: TrackingMode,
  timing: PollTiming & { timeoutMs: number },
): Date {
  const at = now.getTime();
  let next = at + pollEveryMs(mode, timing);
  const deadlines = [dispatchAskedAt(deployment).getTime() + timing.timeoutMs];
  if (!deployment.watchdogNotifiedAt && ['dispatched', 'queued'].includes(deployment.status)) {
    const since = deployment.dispatchedAt ?? deployment.dispatchRequestedAt ?? deployment.createdAt;
    deadlines.push(since.getTime() + WATCHDOG_MS);
  }
  for (const deadline of deadlines) if (deadline > at && deadline < next) next = deadline;
  return new Date(next);
}
