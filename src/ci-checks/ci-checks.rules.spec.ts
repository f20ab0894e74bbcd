import type { CommitStatusInfo } from '../github/github.types';
import { judgeChecks, parseRequiredCheck } from './ci-checks.rules';

const NOW = new Date('2026-12-04T10:00:00Z');
/** Judged after the grace for CI to start: no check at all is no CI. */
const LATE = { now: NOW, noChecksUntil: new Date(NOW.getTime() - 1) };
/** Judged within the grace: CI may still start. */
const EARLY = { now: NOW, noChecksUntil: new Date(NOW.getTime() + 60_000) };

const run = (
  id: number,
  name: string,
  status: string,
  conclusion: string | null = null,
  app = 'github-actions',
) => ({ id, name, status, conclusion, url: `https://github.example/runs/${id}`, app });

const status = (context: string, state: string, creator?: string): CommitStatusInfo => ({
  context,
  state,
  ...(creator ? { creator } : {}),
});

describe('judgeChecks', () => {
  it('passes when every check passed, neutral and skipped included', () => {
    const checks = {
      runs: [
        run(1, 'build', 'completed', 'success'),
        run(2, 'docs', 'completed', 'skipped'),
        run(3, 'advice', 'completed', 'neutral'),
      ],
      statuses: [status('ci/e2e', 'success')],
    };
    expect(judgeChecks('all', [], checks, LATE)).toEqual({
      verdict: 'passed',
      total: 4,
      pending: 0,
      checks: [],
    });
  });

  it('takes no checks at all for CI not started yet, then for no CI', () => {
    const none = { runs: [], statuses: [] };
    expect(judgeChecks('all', [], none, EARLY)).toEqual({
      verdict: 'pending',
      total: 0,
      pending: 0,
      checks: [],
    });
    expect(judgeChecks('all', [], none, LATE)).toEqual({
      verdict: 'failed',
      total: 0,
      pending: 0,
      checks: [],
      noCi: true,
    });
    // Without a grace (an old request's record): no CI straight away.
    expect(judgeChecks('all', [], none, { now: NOW }).verdict).toBe('failed');
  });

  it('fails on any failing check, listing failures before what is still running', () => {
    const judged = judgeChecks(
      'all',
      [],
      {
        runs: [
          run(1, 'e2e', 'in_progress'),
          run(2, 'build', 'completed', 'timed_out'),
          run(3, 'lint', 'completed', 'action_required'),
        ],
        statuses: [status('ci/legacy', 'error')],
      },
      LATE,
    );
    expect(judged.verdict).toBe('failed');
    expect(judged.checks.map((c) => `${c.name}:${c.state}:${c.detail}`)).toEqual([
      'build:failed:timed_out',
      'lint:failed:action_required',
      'ci/legacy:failed:error',
      'e2e:pending:in_progress',
    ]);
  });

  it('waits while checks run, counting them', () => {
    const judged = judgeChecks(
      'all',
      [],
      {
        runs: [run(1, 'build', 'queued'), run(2, 'lint', 'completed', 'success')],
        statuses: [status('ci/e2e', 'pending')],
      },
      LATE,
    );
    expect(judged).toMatchObject({ verdict: 'pending', total: 3, pending: 2 });
  });

  it('lets no check hide a failing one of the same name (another app, or a commit status)', () => {
    const judged = judgeChecks(
      'all',
      [],
      {
        runs: [run(9, 'build', 'completed', 'success'), run(4, 'build', 'completed', 'failure')],
        statuses: [status('build', 'success')],
      },
      LATE,
    );
    expect(judged).toMatchObject({ verdict: 'failed', total: 1 });
    const byStatus = judgeChecks(
      'required',
      ['build'],
      { runs: [run(9, 'build', 'completed', 'success')], statuses: [status('build', 'failure')] },
      LATE,
    );
    expect(byStatus.verdict).toBe('failed');
  });

  it('counts a success posted over a failure by someone else as failing, naming both', () => {
    // Newest first, as GitHub lists them.
    const forged = [status('ci/e2e', 'success', 'mallory'), status('ci/e2e', 'failure', 'ci-bot')];
    const judged = judgeChecks('all', [], { runs: [], statuses: forged }, LATE);
    expect(judged).toMatchObject({ verdict: 'failed', total: 1 });
    expect(judged.checks).toEqual([
      { name: 'ci/e2e', state: 'failed', detail: 'success by mallory over failure by ci-bot' },
    ]);
    // The same poster turning its own failure into a success (a re-run) passes.
    const rerun = [status('ci/e2e', 'success', 'ci-bot'), status('ci/e2e', 'error', 'ci-bot')];
    expect(judgeChecks('all', [], { runs: [], statuses: rerun }, LATE).verdict).toBe('passed');
  });

  it('counts a success posted by someone else over a CI that has not finished as failing', () => {
    const early = [status('ci/e2e', 'success', 'mallory'), status('ci/e2e', 'pending', 'ci-bot')];
    for (const mode of ['all', 'required'] as const)
      expect(judgeChecks(mode, ['ci/e2e'], { runs: [], statuses: early }, LATE).checks).toEqual([
        { name: 'ci/e2e', state: 'failed', detail: 'success by mallory over pending by ci-bot' },
      ]);
    const finished = [status('ci/e2e', 'success', 'ci-bot'), status('ci/e2e', 'pending', 'ci-bot')];
    expect(judgeChecks('all', [], { runs: [], statuses: finished }, LATE).verdict).toBe('passed');
  });

  it('with required checks, looks only at those; a missing one waits for CI, then fails', () => {
    const checks = {
      runs: [run(1, 'build', 'completed', 'success'), run(2, 'flaky', 'completed', 'failure')],
      statuses: [],
    };
    expect(judgeChecks('required', ['build'], checks, LATE).verdict).toBe('passed');
    const missing = judgeChecks('required', ['build', 'security-scan'], checks, LATE);
    expect(missing).toMatchObject({ verdict: 'failed', total: 2 });
    expect(missing.checks).toEqual([
      { name: 'security-scan', state: 'missing', detail: 'not reported on this commit' },
    ]);
    expect(judgeChecks('required', ['build', 'security-scan'], checks, EARLY)).toMatchObject({
      verdict: 'pending',
      checks: [{ name: 'security-scan', state: 'pending', detail: 'not reported yet' }],
    });
  });

  it('takes a pinned check only from the App it names: a check run or its bot’s status', () => {
    const impostor = {
      runs: [run(1, 'build', 'completed', 'success', 'someone-elses-app')],
      statuses: [status('build', 'success', 'mallory')],
    };
    expect(judgeChecks('required', ['build@github-actions'], impostor, LATE)).toMatchObject({
      verdict: 'failed',
      checks: [
        {
          name: 'build@github-actions',
          state: 'missing',
          detail: 'not reported by github-actions',
        },
      ],
    });
    const genuine = { runs: [run(2, 'build', 'completed', 'success')], statuses: [] };
    expect(judgeChecks('required', ['build@github-actions'], genuine, LATE).verdict).toBe('passed');
    const byStatus = { runs: [], statuses: [status('deploy-check', 'success', 'acme-ci[bot]')] };
    expect(judgeChecks('required', ['deploy-check@acme-ci'], byStatus, LATE).verdict).toBe(
      'passed',
    );
    // The App's own failing run still fails, whatever another app says.
    const mixed = {
      runs: [
        run(3, 'build', 'completed', 'failure'),
        run(4, 'build', 'completed', 'success', 'other'),
      ],
      statuses: [],
    };
    expect(judgeChecks('required', ['build@github-actions'], mixed, LATE).verdict).toBe('failed');
  });

  it('fails closed on checks it could not read', () => {
    const passing = { runs: [run(1, 'build', 'completed', 'success')], statuses: [] };
    const beyond = (runs: number, statuses: number) => ({ ...passing, unread: { runs, statuses } });
    expect(judgeChecks('all', [], beyond(3, 0), LATE)).toMatchObject({
      verdict: 'failed',
      checks: [{ name: '3 more check runs', state: 'missing' }],
    });
    expect(judgeChecks('all', [], beyond(0, 1), LATE)).toMatchObject({
      verdict: 'failed',
      checks: [{ name: 'more commit statuses', state: 'missing' }],
    });
    expect(judgeChecks('required', ['e2e'], beyond(3, 0), LATE).checks).toEqual([
      { name: 'e2e', state: 'missing', detail: 'not among the checks read' },
      { name: '3 more check runs', state: 'missing', detail: 'not read: too many to judge' },
    ]);
    // A required check that passed among those read still fails: one not read may fail it.
    expect(judgeChecks('required', ['build'], beyond(0, 1), LATE)).toMatchObject({
      verdict: 'failed',
      checks: [{ name: 'more commit statuses', state: 'missing' }],
    });
  });

  it('keeps at most ten lines', () => {
    const runs = Array.from({ length: 25 }, (_, i) => run(i, `job-${i}`, 'completed', 'failure'));
    const judged = judgeChecks('all', [], { runs, statuses: [] }, LATE);
    expect(judged).toMatchObject({ verdict: 'failed', total: 25 });
    expect(judged.checks).toHaveLength(10);
  });
});

describe('parseRequiredCheck', () => {
  it('reads an App pinned after the last @, and leaves other names whole', () => {
    expect(parseRequiredCheck('build@github-actions')).toEqual({
      name: 'build',
      app: 'github-actions',
    });
    expect(parseRequiredCheck('ci/e2e')).toEqual({ name: 'ci/e2e' });
    expect(parseRequiredCheck('deploy@v2@acme-ci')).toEqual({ name: 'deploy@v2', app: 'acme-ci' });
    expect(parseRequiredCheck('Lint @ Node 20')).toEqual({ name: 'Lint @ Node 20' });
    expect(parseRequiredCheck('@github-actions')).toEqual({ name: '@github-actions' });
  });
});
