import { JobLine } from './deployment';

/** Jobs kept per deployment (a run has at most 256; the message shows the first few). */
export const MAX_JOBS = 30;

const RANK: Record<JobLine['status'], number> = {
  queued: 0,
  waiting: 1,
  in_progress: 2,
  completed: 3,
};

/** How far a report of a job has got: its status, then its step, then when it was made. */
function isNewer(report: JobLine, kept: JobLine): boolean {
  if (RANK[report.status] !== RANK[kept.status]) return RANK[report.status] > RANK[kept.status];
  const step = (job: JobLine) => job.step?.number ?? 0;
  if (step(report) !== step(kept)) return step(report) > step(kept);
  return report.at >= kept.at && JSON.stringify(report) !== JSON.stringify(kept);
}

/**
 * The jobs after `reports`: each job keeps its most advanced report, so one delivered late never
 * takes a job back. Undefined when nothing changes.
 */
export function mergeJobs(kept: JobLine[], reports: JobLine[]): JobLine[] | undefined {
  const jobs = [...kept];
  let changed = false;
  for (const report of reports) {
    const index = jobs.findIndex((job) => job.id === report.id);
    if (index === -1) {
      if (jobs.length >= MAX_JOBS) continue;
      jobs.push(report);
      changed = true;
    } else if (isNewer(report, jobs[index])) {
      jobs[index] = report;
      changed = true;
    }
  }
  return changed ? jobs.sort((a, b) => a.id - b.id) : undefined;
}
