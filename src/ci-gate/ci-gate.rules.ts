import type { CheckLine, GateMode, GateRecord } from '../deployments/deployment';
import type { CommitChecks } from '../github/github.types';

/** Lines kept on a deployment: the ones that stop it first. */
const MAX_LINES = 10;

/** Check run conclusions that let a deploy through (GitHub's "passing" ones). */
const PASSING_CONCLUSIONS = ['success', 'neutral', 'skipped'];

const RANK: Record<CheckLine['state'], number> = { passed: 0, pending: 1, failed: 2, missing: 3 };

export type GateJudgement = Pick<GateRecord, 'verdict' | 'total' | 'pending' | 'checks'>;

/**
 * What CI says about a commit, for a gate in `mode`: every check (`all`) or the named ones
 * (`required`, where a name nobody reported is missing). Check runs and commit statuses count
 * alike, the latest per name. Failing or missing → failed; else anything running → pending;
 * else passed (so is a commit with no checks at all under `all`: there is no CI to wait for).
 */
export function judgeChecks(
  mode: Exclude<GateMode, 'off'>,
  required: string[],
  checks: CommitChecks,
): GateJudgement {
  const latest = new Map<string, CheckLine>();
  const worse = (a: CheckLine, b: CheckLine | undefined) =>
    !b || RANK[a.state] > RANK[b.state] ? a : b;
  // GitHub lists the latest run of each name per check suite (`filter=latest`): one name may
  // still come from several apps or workflows, so the worst of them counts, never the last.
  for (const run of checks.runs) {
    const state =
      run.status !== 'completed'
        ? 'pending'
        : PASSING_CONCLUSIONS.includes(run.conclusion ?? '')
          ? 'passed'
          : 'failed';
    const detail = run.status === 'completed' ? (run.conclusion ?? 'completed') : run.status;
    const line = { name: run.name, state, detail, ...(run.url ? { url: run.url } : {}) } as const;
    latest.set(run.name, worse(line, latest.get(run.name)));
  }
  // A commit status named like a check run does not hide it, nor is hidden by it.
  for (const status of checks.statuses) {
    const state =
      status.state === 'success' ? 'passed' : status.state === 'pending' ? 'pending' : 'failed';
    const line = {
      name: status.context,
      state,
      detail: status.state,
      ...(status.url ? { url: status.url } : {}),
    } as const;
    latest.set(status.context, worse(line, latest.get(status.context)));
  }
  // Beyond what was read: check runs fail closed; statuses count by GitHub's combined state.
  const unread: CheckLine[] = [];
  if (checks.unread?.runs)
    unread.push({
      name: `${checks.unread.runs} more check runs`,
      state: 'missing',
      detail: 'not read: too many to judge',
    });
  if (checks.unread?.statuses && checks.unread.statusesState !== 'success')
    unread.push({
      name: `${checks.unread.statuses} more commit statuses`,
      state: checks.unread.statusesState === 'pending' ? 'pending' : 'failed',
      detail: `combined state ${checks.unread.statusesState}`,
    });
  const considered =
    mode === 'all'
      ? [...latest.values(), ...unread]
      : required.map(
          (name): CheckLine =>
            latest.get(name) ?? {
              name,
              state: 'missing',
              detail: checks.unread ? 'not among the checks read' : 'not reported on this commit',
            },
        );
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
