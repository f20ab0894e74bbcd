import { JobLine } from '../deployments/deployment';
import type { RunJobInfo } from '../github/github.client';

const STATUSES: Record<string, JobLine['status']> = {
  queued: 'queued',
  requested: 'queued',
  pending: 'queued',
  waiting: 'waiting',
  in_progress: 'in_progress',
  completed: 'completed',
};

const FAILED_STEP = ['failure', 'timed_out', 'cancelled'];

/**
 * A job as the message shows it: the step running now, or for a job that failed the step that
 * failed (GitHub's steps are numbered from 1).
 */
export function toJobLine(job: RunJobInfo, reportedAt: string): JobLine {
  const status = Object.hasOwn(STATUSES, job.status) ? STATUSES[job.status] : 'queued';
  const step =
    status === 'in_progress'
      ? job.steps.find((s) => s.status === 'in_progress')
      : status === 'completed' && job.conclusion !== 'success'
        ? job.steps.find((s) => FAILED_STEP.includes(s.conclusion ?? ''))
        : undefined;
  return {
    id: job.id,
    name: job.name.slice(0, 100),
    ...(job.attempt && job.attempt > 1 ? { attempt: job.attempt } : {}),
    status,
    ...(status === 'completed' && job.conclusion ? { conclusion: job.conclusion } : {}),
    ...(step ? { step: { number: step.number, name: step.name.slice(0, 100) } } : {}),
    steps: job.steps.length,
    ...(job.htmlUrl ? { url: job.htmlUrl } : {}),
    at: job.completedAt ?? job.startedAt ?? reportedAt,
  };
}
