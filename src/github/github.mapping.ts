import type {
  CheckRunInfo,
  CommitLine,
  CommitStatusInfo,
  RunInfo,
  RunJobInfo,
} from './github.types';

/** GitHub's answers as the bot's plain data (github.types.ts), and what its errors mean. */

export function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

export function toRunInfo(run: {
  id: number;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  head_branch: string | null;
  created_at: string;
  updated_at: string;
  run_attempt?: number;
  workflow_id?: number;
  path?: string;
}): RunInfo {
  return {
    id: run.id,
    ...(run.workflow_id !== undefined ? { workflowId: run.workflow_id } : {}),
    ...(run.path ? { path: run.path } : {}),
    runAttempt: run.run_attempt ?? 1,
    displayTitle: run.display_title ?? '',
    status: run.status ?? 'queued',
    conclusion: run.conclusion,
    htmlUrl: run.html_url,
    headBranch: run.head_branch,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
  };
}

export function mentionsReturnRunDetails(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  const message = JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? '');
  return status === 422 && message.includes('return_run_details');
}

export function toCheckRun(run: {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url: string | null;
  app?: { slug?: string } | null;
}): CheckRunInfo {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    conclusion: run.conclusion,
    url: run.html_url ?? undefined,
    ...(run.app?.slug ? { app: run.app.slug } : {}),
  };
}

/**
 * A commit status; its link only when it is a plain https address on GitHub's own host (`webHost`):
 * whoever posts a status writes the link, and one elsewhere is shown as text.
 */
export function toCommitStatus(
  status: {
    context: string;
    state: string;
    target_url: string | null;
    creator?: { login?: string } | null;
  },
  webHost: string,
): CommitStatusInfo {
  return {
    context: status.context,
    state: status.state,
    ...(isOnHost(status.target_url, webHost) ? { url: status.target_url! } : {}),
    ...(status.creator?.login ? { creator: status.creator.login } : {}),
  };
}

/** Whether `url` is a plain http(s) address on `host` (no credentials, no other port tricks). */
export function isOnHost(url: string | null | undefined, host: string): boolean {
  if (!url || !/^https?:\/\/[^\s()<>[\]]{1,300}$/.test(url)) return false;
  try {
    const parsed = new URL(url);
    return !parsed.username && !parsed.password && parsed.hostname.toLowerCase() === host;
  } catch {
    return false;
  }
}

export function toCommitLine(commit: {
  sha: string;
  commit: { message: string; author: { name?: string } | null };
  author: { login?: string } | null;
}): CommitLine {
  return {
    sha: commit.sha,
    subject: commit.commit.message.split('\n')[0].slice(0, 120),
    author: commit.author?.login ?? commit.commit.author?.name ?? 'unknown',
    verified: Boolean(commit.author?.login),
  };
}

/**
 * A workflow job, from the REST API or a `workflow_job` webhook (the same shape:
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job).
 */
export function toRunJob(job: {
  id: number;
  name: string;
  run_attempt?: number;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  steps?: Array<{ number: number; name: string; status: string; conclusion: string | null }>;
}): RunJobInfo {
  return {
    id: job.id,
    name: String(job.name),
    ...(Number.isInteger(job.run_attempt) ? { attempt: job.run_attempt } : {}),
    status: String(job.status),
    conclusion: typeof job.conclusion === 'string' ? job.conclusion : null,
    htmlUrl: typeof job.html_url === 'string' ? job.html_url : undefined,
    startedAt: typeof job.started_at === 'string' ? job.started_at : undefined,
    completedAt: typeof job.completed_at === 'string' ? job.completed_at : undefined,
    steps: (Array.isArray(job.steps) ? job.steps : [])
      .filter((step) => typeof step === 'object' && step !== null)
      .map((step) => ({
        number: Number.isInteger(step.number) ? step.number : 0,
        name: String(step.name),
        status: String(step.status),
        conclusion: typeof step.conclusion === 'string' ? step.conclusion : null,
      })),
  };
}
