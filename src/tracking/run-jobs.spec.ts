import { RunJobInfo } from '../github/github.client';
import { toJobLine } from './run-jobs';

const steps = (statuses: Array<[string, string | null]>) =>
  statuses.map(([status, conclusion], i) => ({
    number: i + 1,
    name: `step ${i + 1}`,
    status,
    conclusion,
  }));

const aJob = (overrides: Partial<RunJobInfo>): RunJobInfo => ({
  id: 7,
  name: 'deploy',
  status: 'queued',
  conclusion: null,
  steps: [],
  ...overrides,
});

describe('toJobLine', () => {
  it('names the running step and how many there are', () => {
    const line = toJobLine(
      aJob({
        status: 'in_progress',
        startedAt: '2026-11-24T10:00:00Z',
        steps: steps([
          ['completed', 'success'],
          ['in_progress', null],
          ['queued', null],
        ]),
      }),
      '2026-11-24T10:01:00Z',
    );
    expect(line).toEqual({
      id: 7,
      name: 'deploy',
      status: 'in_progress',
      step: { number: 2, name: 'step 2' },
      steps: 3,
      at: '2026-11-24T10:00:00Z',
    });
  });

  it('names the step that failed, and none for a job that succeeded', () => {
    const failed = toJobLine(
      aJob({
        status: 'completed',
        conclusion: 'failure',
        htmlUrl: 'https://github.com/acme/api/actions/runs/1/job/7',
        steps: steps([
          ['completed', 'success'],
          ['completed', 'failure'],
          ['completed', 'skipped'],
        ]),
      }),
      'now',
    );
    expect(failed).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      step: { number: 2 },
      url: 'https://github.com/acme/api/actions/runs/1/job/7',
    });
    expect(
      toJobLine(
        aJob({
          status: 'completed',
          conclusion: 'success',
          steps: steps([['completed', 'success']]),
        }),
        'now',
      ).step,
    ).toBeUndefined();
  });

  it('reads waiting as held by an environment, and unknown statuses as queued', () => {
    expect(toJobLine(aJob({ status: 'waiting' }), 'now').status).toBe('waiting');
    expect(toJobLine(aJob({ status: 'pending' }), 'now').status).toBe('queued');
    expect(toJobLine(aJob({ status: 'something-new' }), 'now').status).toBe('queued');
    expect(toJobLine(aJob({ status: 'constructor' }), 'now').status).toBe('queued');
  });
});
