import { dispatchAskedAt } from '../deployments/deployment';
import { WATCHDOG_MS } from '../deployments/deadlines';

/**
 * How often a run is polled, and why: every rule of the tracker's schedule, in one place.
 *
 * - A repository is in `webhook` mode while its run webhooks arrive (a `workflow_run` delivery
 *   about one of the bot's runs, dated by the run, within WEBHOOK_FRESH_MS), else in `polling`.
 * - A run is looked at every POLL_INTERVAL_MS in `polling` mode, and every POLL_BACKSTOP_MS (a
 *   backstop for lost deliveries) in `webhook` mode (pollEveryMs)…
 * - …and sooner, right when something expected is overdue: the watchdog's moment for a run not
 *   started, and the deployment's timeout (nextRunCheckAt). The first look after a dispatch is
 *   planned the same way (FirstLookListener).
 * - A run whose id is not known yet (GitHub answered 204, or its answer was lost) is looked for
 *   every few seconds (discoveryRetryMs) until DISPATCH_GRACE_MS have passed.
 * - A check that failed (GitHub or MongoDB) is tried again after POLL_INTERVAL_MS; a delivery
 *   the bot could not store brings its run's next look forward to POLL_INTERVAL_MS.
 * - After a timeout the run is still watched, LATE_WATCH_FACTOR times less often, for up to
 *   LATE_WATCH_MS, to record how it really ended.
 * - The runs of one workflow due within the interval are refreshed together by one listing of
 *   its runs created since LISTING_SLACK_MS before the oldest dispatch (run-tracker.service.ts).
 */

/**
 * How a repository's runs are followed: `webhook` while its run webhooks arrive (polling is
 * then a slow backstop), `polling` otherwise.
 */
export type TrackingMode = 'webhook' | 'polling';

/** A repository counts as sending webhooks for this long after its last run delivery. */
export const WEBHOOK_FRESH_MS = 10 * 60_000;

/** After a timeout the run is still watched, this many times less often… */
export const LATE_WATCH_FACTOR = 6;
/** …for this long, for its real conclusion. */
export const LATE_WATCH_MS = 24 * 3_600_000;

/**
 * A workflow's runs are listed from this long before its oldest deployment asked for its
 * dispatch: GitHub's clock and the bot's may differ (a run missing from the page is asked for
 * on its own).
 */
export const LISTING_SLACK_MS = 60_000;

type PollTiming = { pollIntervalMs: number; pollBackstopMs: number };

export function trackingMode(lastDeliveryAt: Date | undefined, now: Date): TrackingMode {
  return lastDeliveryAt && now.getTime() - lastDeliveryAt.getTime() <= WEBHOOK_FRESH_MS
    ? 'webhook'
    : 'polling';
}

/** How often a run is polled in `mode`: `POLL_BACKSTOP_MS` while webhooks arrive, else `POLL_INTERVAL_MS`. */
export function pollEveryMs(mode: TrackingMode, timing: PollTiming): number {
  return mode === 'webhook' ? timing.pollBackstopMs : timing.pollIntervalMs;
}

/** How soon a run whose id is not known yet is looked for again: every few seconds. */
export function discoveryRetryMs(pollIntervalMs: number): number {
  return Math.min(pollIntervalMs, 5_000);
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
