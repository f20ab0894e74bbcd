import { judgeChecks } from './ci-gate.rules';

const run = (id: number, name: string, status: string, conclusion: string | null = null) => ({
  id,
  name,
  status,
  conclusion,
  url: `https://github.example/runs/${id}`,
});

describe('judgeChecks', () => {
  it('passes when every check passed, neutral and skipped included, or when there is no CI', () => {
    const checks = {
      runs: [
        run(1, 'build', 'completed', 'success'),
        run(2, 'docs', 'completed', 'skipped'),
        run(3, 'advice', 'completed', 'neutral'),
      ],
      statuses: [{ context: 'ci/e2e', state: 'success' }],
    };
    expect(judgeChecks('all', [], checks)).toEqual({
      verdict: 'passed',
      total: 4,
      pending: 0,
      checks: [],
    });
    expect(judgeChecks('all', [], { runs: [], statuses: [] }).verdict).toBe('passed');
  });

  it('fails on any failing check, listing failures before what is still running', () => {
    const judged = judgeChecks('all', [], {
      runs: [
        run(1, 'e2e', 'in_progress'),
        run(2, 'build', 'completed', 'timed_out'),
        run(3, 'lint', 'completed', 'action_required'),
      ],
      statuses: [{ context: 'ci/legacy', state: 'error' }],
    });
    expect(judged.verdict).toBe('failed');
    expect(judged.checks.map((c) => `${c.name}:${c.state}:${c.detail}`)).toEqual([
      'build:failed:timed_out',
      'lint:failed:action_required',
      'ci/legacy:failed:error',
      'e2e:pending:in_progress',
    ]);
  });

  it('waits while checks run, counting them', () => {
    const judged = judgeChecks('all', [], {
      runs: [run(1, 'build', 'queued'), run(2, 'lint', 'completed', 'success')],
      statuses: [{ context: 'ci/e2e', state: 'pending' }],
    });
    expect(judged).toMatchObject({ verdict: 'pending', total: 3, pending: 2 });
  });

  it('lets no check hide a failing one of the same name (another app, or a commit status)', () => {
    const judged = judgeChecks('all', [], {
      runs: [run(9, 'build', 'completed', 'success'), run(4, 'build', 'completed', 'failure')],
      statuses: [{ context: 'build', state: 'success' }],
    });
    expect(judged).toMatchObject({ verdict: 'failed', total: 1 });
    const byStatus = judgeChecks('required', ['build'], {
      runs: [run(9, 'build', 'completed', 'success')],
      statuses: [{ context: 'build', state: 'failure' }],
    });
    expect(byStatus.verdict).toBe('failed');
  });

  it('with required checks, looks only at those, and a missing one fails', () => {
    const checks = {
      runs: [run(1, 'build', 'completed', 'success'), run(2, 'flaky', 'completed', 'failure')],
      statuses: [],
    };
    expect(judgeChecks('required', ['build'], checks).verdict).toBe('passed');
    const missing = judgeChecks('required', ['build', 'security-scan'], checks);
    expect(missing).toMatchObject({ verdict: 'failed', total: 2 });
    expect(missing.checks).toEqual([
      { name: 'security-scan', state: 'missing', detail: 'not reported on this commit' },
    ]);
  });

  it('fails closed on check runs it could not read, and judges unread statuses by the combined state', () => {
    const passing = { runs: [run(1, 'build', 'completed', 'success')], statuses: [] };
    const beyond = (runs: number, statuses: number, statusesState: string) => ({
      ...passing,
      unread: { runs, statuses, statusesState },
    });
    expect(judgeChecks('all', [], beyond(3, 0, 'success'))).toMatchObject({
      verdict: 'failed',
      checks: [{ name: '3 more check runs', state: 'missing' }],
    });
    expect(judgeChecks('all', [], beyond(0, 150, 'success')).verdict).toBe('passed');
    expect(judgeChecks('all', [], beyond(0, 150, 'pending'))).toMatchObject({
      verdict: 'pending',
      checks: [{ name: '150 more commit statuses', detail: 'combined state pending' }],
    });
    expect(judgeChecks('all', [], beyond(0, 150, 'failure')).verdict).toBe('failed');
    expect(judgeChecks('required', ['e2e'], beyond(3, 0, 'success')).checks).toEqual([
      { name: 'e2e', state: 'missing', detail: 'not among the checks read' },
    ]);
  });

  it('keeps at most ten lines', () => {
    const runs = Array.from({ length: 25 }, (_, i) => run(i, `job-${i}`, 'completed', 'failure'));
    const judged = judgeChecks('all', [], { runs, statuses: [] });
    expect(judged).toMatchObject({ verdict: 'failed', total: 25 });
    expect(judged.checks).toHaveLength(10);
  });
});
