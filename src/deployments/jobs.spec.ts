import { JobLine } from './deployment';
import { MAX_JOBS, mergeJobs } from './jobs';

const job = (overrides: Partial<JobLine> = {}): JobLine => ({
  id: 1,
  name: 'deploy',
  status: 'queued',
  steps: 5,
  at: '2026-11-24T10:00:00Z',
  ...overrides,
});

describe('mergeJobs', () => {
  it('adds new jobs in id order and moves a job forward', () => {
    const kept = [job({ id: 2 })];
    const merged = mergeJobs(kept, [
      job({ id: 1, status: 'in_progress', step: { number: 2, name: 'Build' } }),
      job({ id: 2, status: 'completed', conclusion: 'success' }),
    ]);
    expect(merged?.map((j) => [j.id, j.status])).toEqual([
      [1, 'in_progress'],
      [2, 'completed'],
    ]);
  });

  it('never takes a job back: a late report of an earlier state is dropped', () => {
    const kept = [job({ status: 'in_progress', step: { number: 4, name: 'Migrate' } })];
    expect(mergeJobs(kept, [job({ status: 'queued' })])).toBeUndefined();
    expect(
      mergeJobs(kept, [job({ status: 'in_progress', step: { number: 3, name: 'Build' } })]),
    ).toBeUndefined();
    expect(mergeJobs(kept, [kept[0]])).toBeUndefined();
    expect(
      mergeJobs(kept, [job({ status: 'in_progress', step: { number: 5, name: 'Deploy' } })])?.[0]
        .step,
    ).toEqual({ number: 5, name: 'Deploy' });
  });

  it("keeps the latest attempt's jobs only: a re-run replaces the failed attempt's, a late one is dropped", () => {
    const failed = [
      job({ id: 1, name: 'build', status: 'completed', conclusion: 'success' }),
      job({ id: 2, name: 'deploy', status: 'completed', conclusion: 'failure' }),
    ];
    const rerun = mergeJobs(failed, [job({ id: 7, name: 'build', attempt: 2 })]);
    expect(rerun?.map((j) => [j.id, j.name, j.attempt])).toEqual([[7, 'build', 2]]);
    expect(mergeJobs(rerun!, [job({ id: 2, status: 'completed', conclusion: 'failure' })])).toBe(
      undefined,
    );
    expect(mergeJobs(rerun!, [job({ id: 8, name: 'deploy', attempt: 2 })])).toHaveLength(2);
  });

  it(`keeps at most ${MAX_JOBS} jobs`, () => {
    const many = Array.from({ length: MAX_JOBS + 5 }, (_, i) => job({ id: i + 1 }));
    expect(mergeJobs([], many)).toHaveLength(MAX_JOBS);
  });
});
