import type { DeliveryFact } from '../deployments/deployment-history.repository';

/**
 * DORA's five delivery metrics, computed from the bot's own records of one service's production
 * deployments over a period. The exact definitions are in docs/user-guide.md ("Delivery
 * metrics"); every rule here is one sentence there.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

/** What a run that ran ended as: a rollback in one of these was an intervention. */
const RAN = new Set(['success', 'failure', 'timed_out']);

export interface Period {
  from: Date;
  to: Date;
}

export interface DeliveryInput {
  /** Finished deployments, from the start of the period to now at least (later rollbacks count). */
  facts: DeliveryFact[];
  /** Per deployment id: the dates of the commits it brought (see LeadTimeStore). */
  commitDates: Map<string, Date[]>;
  period: Period;
  failureWindowMs: number;
}

export interface DeliveryFigures {
  period: Period;
  /** Deployment frequency: successful deployments (rollbacks included), per week, and spacing. */
  frequency: { deployments: number; perWeek: number; medianIntervalMs?: number };
  /** Change lead time: per commit brought to production, from its date to the deployment's success. */
  leadTime: {
    commits: number;
    medianMs?: number;
    p90Ms?: number;
    /** Commits dated after the deployment that brought them (a wrong clock): left out. */
    futureDated: number;
    /** Successful changes whose commits are not known (yet): left out. */
    unknown: number;
  };
  /** Change fail rate: successful changes (not rollbacks) that needed intervention ÷ all. */
  changeFail: { failed: number; changes: number; rate?: number; failedRuns: number };
  /** Failed deployment recovery time: from the failure to the next good production deployment. */
  recovery: { medianMs?: number; recovered: number; unrecovered: number };
  /** Deployment rework rate: rollbacks and hotfixes ÷ successful deployments. */
  rework: { rollbacks: number; hotfixes: number; deployments: number; rate?: number };
}

/** Why a change counts as failed, and when its failure began. */
export interface Failure {
  reason: 'rolled back' | 'failed verification' | 'reported faulty';
  since: Date;
}

/**
 * The p-th percentile (0 < p ≤ 1) by linear interpolation between the closest ranks, as
 * spreadsheets' PERCENTILE.INC: the median of 1, 2, 3, 4 is 2.5. Undefined for no values.
 */
export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

function within(date: Date, period: Period): boolean {
  const time = date.getTime();
  return time >= period.from.getTime() && time < period.to.getTime();
}

/**
 * Whether a successful change failed, and since when: rolled back (a rollback of it that ran,
 * started within the failure window after its success), failed its verification, or reported
 * faulty within the window. A rollback or verification failure dates from the deployment's
 * success; a fault report alone from the report.
 */
export function failureOf(
  deployment: DeliveryFact,
  rollbacksOf: Map<string, DeliveryFact[]>,
  failureWindowMs: number,
): Failure | undefined {
  if (deployment.status !== 'success' || deployment.rollbackOf) return undefined;
  const succeeded = deployment.finishedAt.getTime();
  const inWindow = (date: Date) =>
    date.getTime() >= succeeded && date.getTime() - succeeded <= failureWindowMs;
  const rolledBack = (rollbacksOf.get(deployment.id) ?? []).some(
    (rollback) => RAN.has(rollback.status) && inWindow(rollback.createdAt),
  );
  if (rolledBack) return { reason: 'rolled back', since: deployment.finishedAt };
  if (deployment.verification === 'failed')
    return { reason: 'failed verification', since: deployment.finishedAt };
  if (deployment.faultAt && inWindow(deployment.faultAt))
    return { reason: 'reported faulty', since: deployment.faultAt };
  return undefined;
}

export function rollbacksByTarget(facts: DeliveryFact[]): Map<string, DeliveryFact[]> {
  const byTarget = new Map<string, DeliveryFact[]>();
  for (const fact of facts) {
    if (!fact.rollbackOf) continue;
    byTarget.set(fact.rollbackOf, [...(byTarget.get(fact.rollbackOf) ?? []), fact]);
  }
  return byTarget;
}

/** The five figures over `input.period`. */
export function deliveryFigures(input: DeliveryInput): DeliveryFigures {
  const { period, failureWindowMs } = input;
  const facts = [...input.facts].sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime());
  const rollbacks = rollbacksByTarget(facts);
  const failures = new Map<string, Failure>();
  for (const fact of facts) {
    const failure = failureOf(fact, rollbacks, failureWindowMs);
    if (failure) failures.set(fact.id, failure);
  }
  const succeeded = facts.filter(
    (fact) => fact.status === 'success' && within(fact.finishedAt, period),
  );
  const changes = succeeded.filter((fact) => !fact.rollbackOf);

  const intervals = succeeded
    .slice(1)
    .map((fact, index) => fact.finishedAt.getTime() - succeeded[index].finishedAt.getTime());
  const weeks = (period.to.getTime() - period.from.getTime()) / WEEK_MS;

  const leadTimes: number[] = [];
  let futureDated = 0;
  let unknown = 0;
  for (const change of changes) {
    const dates = input.commitDates.get(change.id);
    if (!dates) {
      unknown++;
      continue;
    }
    for (const date of dates) {
      const lead = change.finishedAt.getTime() - date.getTime();
      if (lead < 0) futureDated++;
      else leadTimes.push(lead);
    }
  }

  const recoveries: number[] = [];
  let unrecovered = 0;
  const position = new Map(facts.map((fact, index) => [fact.id, index]));
  for (const change of changes) {
    const failure = failures.get(change.id);
    if (!failure) continue;
    // Facts are in finishing order, and the failure begins at or after the change's success:
    // the search walks on from the change, without copying the rest.
    let next: DeliveryFact | undefined;
    for (let i = position.get(change.id)! + 1; i < facts.length && !next; i++) {
      const fact = facts[i];
      if (
        fact.status === 'success' &&
        fact.finishedAt.getTime() > failure.since.getTime() &&
        !failures.has(fact.id)
      )
        next = fact;
    }
    if (next) recoveries.push(next.finishedAt.getTime() - failure.since.getTime());
    else unrecovered++;
  }

  const failed = changes.filter((change) => failures.has(change.id)).length;
  const rolledBackTo = succeeded.filter((fact) => fact.rollbackOf).length;
  const hotfixes = changes.filter((fact) => fact.hotfix).length;
  return {
    period,
    frequency: {
      deployments: succeeded.length,
      perWeek: weeks > 0 ? succeeded.length / weeks : 0,
      medianIntervalMs: percentile(intervals, 0.5),
    },
    leadTime: {
      commits: leadTimes.length,
      medianMs: percentile(leadTimes, 0.5),
      p90Ms: percentile(leadTimes, 0.9),
      futureDated,
      unknown,
    },
    changeFail: {
      failed,
      changes: changes.length,
      rate: changes.length ? failed / changes.length : undefined,
      failedRuns: facts.filter(
        (fact) =>
          (fact.status === 'failure' || fact.status === 'timed_out') &&
          within(fact.finishedAt, period),
      ).length,
    },
    recovery: { medianMs: percentile(recoveries, 0.5), recovered: recoveries.length, unrecovered },
    rework: {
      rollbacks: rolledBackTo,
      hotfixes,
      deployments: succeeded.length,
      rate: succeeded.length ? (rolledBackTo + hotfixes) / succeeded.length : undefined,
    },
  };
}

export type Band = 'elite' | 'high' | 'medium' | 'low';

/**
 * DORA's performance clusters (2023 Accelerate State of DevOps report), as thresholds: frequency
 * on demand (a deployment a day or more) / weekly / monthly; lead time under a day / week / month;
 * change fail rate at most 5% / 10% / 15%; recovery under an hour / a day / a week. DORA gives
 * the rework rate no bands.
 */
export function bandsOf(
  figures: DeliveryFigures,
): Partial<Record<'frequency' | 'leadTime' | 'changeFail' | 'recovery', Band>> {
  const below = (value: number | undefined, limits: [number, number, number]): Band | undefined =>
    value === undefined
      ? undefined
      : value < limits[0]
        ? 'elite'
        : value < limits[1]
          ? 'high'
          : value < limits[2]
            ? 'medium'
            : 'low';
  const perWeek = figures.frequency.perWeek;
  const rate = figures.changeFail.rate;
  return {
    ...(figures.frequency.deployments
      ? {
          frequency:
            perWeek >= 7 ? 'elite' : perWeek >= 1 ? 'high' : perWeek >= 12 / 52 ? 'medium' : 'low',
        }
      : {}),
    ...(figures.leadTime.medianMs !== undefined
      ? { leadTime: below(figures.leadTime.medianMs, [DAY_MS, WEEK_MS, 30 * DAY_MS]) }
      : {}),
    ...(rate !== undefined
      ? {
          changeFail:
            rate <= 0.05 ? 'elite' : rate <= 0.1 ? 'high' : rate <= 0.15 ? 'medium' : 'low',
        }
      : {}),
    ...(figures.recovery.medianMs !== undefined
      ? { recovery: below(figures.recovery.medianMs, [HOUR_MS, DAY_MS, WEEK_MS]) }
      : {}),
  };
}

export interface WeekBar {
  /** The week's first day (the period's start + 7 days × n). */
  from: Date;
  succeeded: number;
  /** Successful changes that failed afterwards (rolled back, verification, fault report). */
  failedChanges: number;
  rollbacks: number;
  failedRuns: number;
  leadTimeMedianMs?: number;
}

/** Per week of the period (from its start; the last may be shorter): what the chart shows. */
export function weeklySeries(input: DeliveryInput): WeekBar[] {
  const { period } = input;
  const weeks = Math.max(1, Math.ceil((period.to.getTime() - period.from.getTime()) / WEEK_MS));
  const rollbacks = rollbacksByTarget(input.facts);
  return Array.from({ length: weeks }, (_, index) => {
    const from = new Date(period.from.getTime() + index * WEEK_MS);
    const to = new Date(Math.min(from.getTime() + WEEK_MS, period.to.getTime()));
    const inWeek = input.facts.filter((fact) => within(fact.finishedAt, { from, to }));
    const succeeded = inWeek.filter((fact) => fact.status === 'success');
    const leads = succeeded
      .filter((fact) => !fact.rollbackOf)
      .flatMap((fact) =>
        (input.commitDates.get(fact.id) ?? [])
          .map((date) => fact.finishedAt.getTime() - date.getTime())
          .filter((lead) => lead >= 0),
      );
    const failedChanges = succeeded.filter((fact) =>
      failureOf(fact, rollbacks, input.failureWindowMs),
    ).length;
    const rolledBack = succeeded.filter((fact) => fact.rollbackOf).length;
    return {
      from,
      succeeded: succeeded.length - failedChanges - rolledBack,
      failedChanges,
      rollbacks: rolledBack,
      failedRuns: inWeek.filter((fact) => fact.status === 'failure' || fact.status === 'timed_out')
        .length,
      leadTimeMedianMs: percentile(leads, 0.5),
    };
  });
}
