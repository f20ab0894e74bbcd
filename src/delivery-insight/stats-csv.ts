import { stringify } from 'csv-stringify/sync';
import { failureOf, rollbacksByTarget } from './delivery.rules';
import type { DeliveryStats } from './delivery-stats.service';

/** Kept under Discord's smallest upload limit (8 MiB on a server without boosts). */
export const MAX_CSV_BYTES = 8 * 1024 * 1024;

/**
 * The CSV as bytes within MAX_CSV_BYTES: with the commits' dates, else without them; undefined
 * when even that is too large.
 */
export function statsCsvFile(stats: DeliveryStats): Buffer | undefined {
  for (const withDates of [true, false]) {
    const bytes = Buffer.from(statsCsv(stats, { withDates }), 'utf8');
    if (bytes.length <= MAX_CSV_BYTES) return bytes;
  }
  return undefined;
}

/**
 * The deployments behind the figures, one row each, as /history shows them (the requester's
 * name, no other Discord data). Cells that a spreadsheet would run as a formula are escaped.
 */
export function statsCsv(stats: DeliveryStats, { withDates = true } = {}): string {
  const rollbacks = rollbacksByTarget(stats.facts);
  const rows = stats.facts.map((fact) => {
    const dates = stats.commitDates.get(fact.id);
    const failure = failureOf(fact, rollbacks, stats.failureWindowMs);
    return {
      id: fact.id,
      environment: fact.environment,
      ref: fact.ref,
      sha: fact.sha,
      status: fact.status,
      requested_by: fact.github ? `${fact.requester} (GitHub)` : fact.requester,
      created_at: fact.createdAt.toISOString(),
      finished_at: fact.finishedAt.toISOString(),
      rollback_of: fact.rollbackOf ?? '',
      hotfix: fact.hotfix ? 'yes' : '',
      verification: fact.verification ?? '',
      reported_faulty_at: fact.faultAt?.toISOString() ?? '',
      failed_change: failure ? failure.reason : '',
      commits: dates ? String(dates.length) : '',
      commit_dates: dates && withDates ? dates.map((date) => date.toISOString()).join(' ') : '',
    };
  });
  return stringify(rows, {
    header: true,
    columns: [
      'id',
      'environment',
      'ref',
      'sha',
      'status',
      'requested_by',
      'created_at',
      'finished_at',
      'rollback_of',
      'hotfix',
      'verification',
      'reported_faulty_at',
      'failed_change',
      'commits',
      'commit_dates',
    ],
    escape_formulas: true,
  });
}
