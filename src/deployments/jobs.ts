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

const attemptOf = (job: JobLine) => job.attempt ?? 1;

/**
 * The jobs after `reports`: each job keeps its most advanced report, so one delivered late never
 * takes a job back. Only the latest attempt of the run counts: a re-run's first report replaces
 * the jobs of the attempt before, and a late report of an older attempt is dropped. Undefined
 * when nothing changes.
 */
export function mergeJobs(kept: JobLine[], reports: JobLine[]): JobLine[] | undefined {
  let jobs = [...kept];
  let changed = false;
  for (const report of reports) {
    const latest = Math.max(0, ...jobs.map(attemptOf));
    if (attemptOf(report) < latest) continue;
    if (attemptOf(report) > latest && jobs.length) {
      jobs = [];
      changed = true;
    }
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
