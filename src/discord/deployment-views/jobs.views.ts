import { JobLine } from '../../deployments/deployment';
import { plain } from '../format';
import { fitLines, LIMITS } from '../limits';

/** A job's log link: only a job page of the deployment's own run, plainly written. */
function logLink(job: JobLine, runUrl: string | undefined): string {
  const linked =
    runUrl &&
    job.url?.startsWith(`${runUrl}/job/`) &&
    /^\d{1,20}$/.test(job.url.slice(runUrl.length + 5)) &&
    /^https:\/\/[^\s()<>[\]]{1,300}$/.test(job.url);
  return linked ? ` · [log](${job.url})` : '';
}

function stepText(job: JobLine): string {
  if (!job.step) return '';
  const of = job.steps ? `/${job.steps}` : '';
  return `step ${job.step.number}${of}: ${plain(job.step.name, 60)}`;
}

const FAILED = ['failure', 'timed_out', 'startup_failure'];

/** One job as its latest report says: queued, waiting, running which step, or how it ended. */
export function jobLine(job: JobLine, runUrl?: string): string {
  const name = plain(job.name, 60);
  switch (job.status) {
    case 'queued':
      return `🕐 ${name}: queued`;
    case 'waiting':
      return `⏸️ ${name}: waiting for GitHub environment approval`;
    case 'in_progress':
      return `🔄 ${name}: running${job.step ? ` ${stepText(job)}` : ''}`;
    default: {
      const conclusion = job.conclusion ?? 'done';
      if (FAILED.includes(conclusion))
        return `❌ ${name}: ${conclusion === 'failure' ? 'failed' : plain(conclusion.replace(/_/g, ' '), 30)}${job.step ? ` at ${stepText(job)}` : ''}${logLink(job, runUrl)}`;
      if (conclusion === 'success') return `✅ ${name}: done`;
      if (conclusion === 'skipped') return `⏭️ ${name}: skipped`;
      return `🚫 ${name}: ${plain(conclusion.replace(/_/g, ' '), 30)}`;
    }
  }
}

export function jobsText(jobs: JobLine[], runUrl?: string): string {
  return fitLines(
    jobs.map((job) => jobLine(job, runUrl)),
    LIMITS.fieldValue,
    (n) => `… and ${n} more`,
  );
}

/** The first job that failed, for the status line: "job deploy, step 4/9: Migrate". */
export function failedJobText(jobs: JobLine[] | undefined, runUrl?: string): string | undefined {
  const failed = jobs?.find(
    (job) => job.status === 'completed' && FAILED.includes(job.conclusion ?? ''),
  );
  if (!failed) return undefined;
  return `job ${plain(failed.name, 60)}${failed.step ? `, ${stepText(failed)}` : ''}${logLink(failed, runUrl)}`;
}
