import { statusesBefore } from '../deployments/deployment';
import { statusFromRun } from './run-status';

describe('statusFromRun', () => {
  it.each([
    [{ status: 'requested', conclusion: null }, 'queued'],
    [{ status: 'queued', conclusion: null }, 'queued'],
    [{ status: 'waiting', conclusion: null }, 'queued'],
    [{ status: 'in_progress', conclusion: null }, 'in_progress'],
    [{ status: 'completed', conclusion: 'success' }, 'success'],
    [{ status: 'completed', conclusion: 'neutral' }, 'success'],
    [{ status: 'completed', conclusion: 'failure' }, 'failure'],
    [{ status: 'completed', conclusion: 'timed_out' }, 'failure'],
    [{ status: 'completed', conclusion: 'startup_failure' }, 'failure'],
    [{ status: 'completed', conclusion: 'cancelled' }, 'cancelled'],
    [{ status: 'completed', conclusion: 'skipped' }, 'cancelled'],
  ])('maps %j to %s', (run, status) => {
    expect(statusFromRun(run)).toBe(status);
  });
});

describe('statusesBefore', () => {
  it('never moves backwards, and never out of a terminal status', () => {
    expect(statusesBefore('queued')).toEqual([
      'awaiting_checks',
      'checks_failed',
      'pending_approval',
      'approved',
      'dispatching',
      'dispatch_unknown',
      'dispatched',
    ]);
    expect(statusesBefore('dispatched')).not.toContain('queued');
    for (const terminal of ['success', 'failure', 'timed_out'] as const) {
      expect(statusesBefore(terminal)).not.toContain('success');
      expect(statusesBefore(terminal)).toContain('in_progress');
    }
  });
});
