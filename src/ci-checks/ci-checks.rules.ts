import type { CheckLine, GateMode, GateRecord } from '../deployments/deployment';
import type { CheckRunInfo, CommitChecks, CommitStatusInfo } from '../github/github.types';
import { parseRequiredCheck } from '../service-registry/service';

export { parseRequiredCheck };

/** Lines kept on a deployment: the ones that stop it first. */
const MAX_LINES = 10;

/** Check run conclusions that let a deploy through (GitHub's "passing" ones). */
const PASSING_CONCLUSIONS = ['success', 'neutral', 'skipped'];

const RANK: Record<CheckLine['state'], number> = { passed: 0, pending: 1, failed: 2, missing: 3 };

export type GateJudgement = Pick<GateRecord, 'verdict' | 'total' | 'pending' | 'checks' | 'noCi'>;

/** When the gate is judged, and until when a commit without any check may still get some. */
export interface JudgeMoment {
  now: Date;
  /** Until then, no check at all (or a required one not reported yet) is CI not started yet. */
  noChecksUntil?: Date;
}

const worse = (a: CheckLine, b: CheckLine | undefined) =>
  !b || RANK[a.state] > RANK[b.state] ? a : b;

function runLine(run: CheckRunInfo, name = run.name): CheckLine {
  const state =
    run.status !== 'completed'
      ? 'pending'
      : PASSING_CONCLUSIONS.includes(run.conclusion ?? '')
        ? 'passed'
        : 'failed';
  const detail = run.status === 'completed' ? (run.conclusion ?? 'completed') : run.status;
  return { name, state, detail, ...(run.url ? { url: run.url } : {}) };
}

/**
 * A context's statuses, newest first, as one line: its latest state, except that a success posted
 * over someone else's status of that context counts as failing, whatever that status said (a
 * failure, an error, or a pending CI had not finished): anyone with write access can post a
 * success, and GitHub's combined status would show only the last word. Both creators are named.
 */
function statusLine(statuses: CommitStatusInfo[], name = statuses[0].context): CheckLine {
  const latest = statuses[0];
  const link = latest.url ? { url: latest.url } : {};
  if (latest.state === 'success') {
    const overruled = statuses.slice(1).find((earlier) => earlier.creator !== latest.creator);
    if (overruled)
      return {
        name,
        state: 'failed',
        detail: `success by ${latest.creator ?? 'unknown'} over ${overruled.state} by ${overruled.creator ?? 'unknown'}`,
        ...link,
      };
  }
  const state =
    latest.state === 'success' ? 'passed' : latest.state === 'pending' ? 'pending' : 'failed';
  return { name, state, detail: latest.state, ...link };
}

/** Every check on the commit, worst per name: check runs (all apps) and commit statuses alike. */
function everyCheck(checks: CommitChecks): Map<string, CheckLine> {
  const latest = new Map<string, CheckLine>();
  // GitHub lists the latest run of each name per check suite (`filter=latest`): one name may
  // still come from several apps or workflows, so the worst of them counts, never the last.
  for (const run of checks.runs) latest.set(run.name, worse(runLine(run), latest.get(run.name)));
  // A commit status named like a check run does not hide it, nor is hidden by it.
  for (const statuses of byContext(checks.statuses).values()) {
    const line = statusLine(statuses);
    latest.set(line.name, worse(line, latest.get(line.name)));
  }
  return latest;
}

/** The statuses of each context, newest first (as GitHub lists them). */
function byContext(statuses: CommitStatusInfo[]): Map<string, CommitStatusInfo[]> {
  const grouped = new Map<string, CommitStatusInfo[]>();
  for (const status of statuses)
    grouped.set(status.context, [...(grouped.get(status.context) ?? []), status]);
  return grouped;
}

/**
 * One required check: the worst of the check runs and status contexts of its name, or with an
 * App pinned, of those that App reported only (a check of that name from anyone else never
 * satisfies it). Undefined when nothing of the kind was reported.
 */
function requiredLine(label: string, checks: CommitChecks): CheckLine | undefined {
  const { name, app } = parseRequiredCheck(label);
  let line: CheckLine | undefined;
  for (const run of checks.runs)
    if (run.name === name && (!app || run.app === app)) line = worse(runLine(run, label), line);
  const statuses = checks.statuses.filter(
    (status) => status.context === name && (!app || status.creator === `${app}[bot]`),
  );
  if (statuses.length) line = worse(statusLine(statuses, label), line);
  return line;
}

/**
 * What CI says about a commit, for a gate in `mode`: every check (`all`) or the named ones
 * (`required`, where one nobody reported is missing). Failing or missing → failed; else anything
 * running → pending; else passed. No CI is not green: a commit with no check at all (under
 * `all`), or a required check not reported, waits until `noChecksUntil` as CI not started yet,
 * then fails ("no CI reported for this commit").
 */
export function judgeChecks(
  mode: Exclude<GateMode, 'off'>,
  required: string[],
  checks: CommitChecks,
  moment: JudgeMoment,
): GateJudgement {
  const mayStillStart = moment.noChecksUntil !== undefined && moment.now < moment.noChecksUntil;
  // Beyond what was read: fail closed.
  const unread: CheckLine[] = [];
  if (checks.unread?.runs)
    unread.push({
      name: `${checks.unread.runs} more check runs`,
      state: 'missing',
      detail: 'not read: too many to judge',
    });
  if (checks.unread?.statuses)
    unread.push({
      name: 'more commit statuses',
      state: 'missing',
      detail: 'not read: too many to judge',
    });
  let considered: CheckLine[];
  if (mode === 'all') {
    considered = [...everyCheck(checks).values(), ...unread];
    if (considered.length === 0)
      return mayStillStart
        ? { verdict: 'pending', total: 0, pending: 0, checks: [] }
        : { verdict: 'failed', total: 0, pending: 0, checks: [], noCi: true };
  } else {
    // What was not read may hold a failing status of a required name: it fails closed here too.
    considered = [
      ...required.map(
        (label): CheckLine =>
          requiredLine(label, checks) ?? {
            name: label,
            state: mayStillStart ? 'pending' : 'missing',
            detail: checks.unread
              ? 'not among the checks read'
              : mayStillStart
                ? 'not reported yet'
                : parseRequiredCheck(label).app
                  ? `not reported by ${parseRequiredCheck(label).app}`
                  : 'not reported on this commit',
          },
      ),
      ...unread,
    ];
  }
  const failing = considered.filter((line) => line.state === 'failed' || line.state === 'missing');
  const pending = considered.filter((line) => line.state === 'pending');
  const verdict = failing.length ? 'failed' : pending.length ? 'pending' : 'passed';
  return {
    verdict,
    total: considered.length,
    pending: pending.length,
    checks: [...failing, ...pending].slice(0, MAX_LINES),
  };
}
