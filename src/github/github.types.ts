/** GitHub as the bot sees it: plain data, whatever the API's shapes. */

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
}

/** A branch, as far as deploying from it goes. */
export interface BranchInfo {
  name: string;
  sha: string;
  /** Branch protection is on (https://docs.github.com/en/rest/branches/branches#get-a-branch). */
  protected: boolean;
}

/** A commit as a person reviewing a deployment needs it. */
export interface CommitLine {
  sha: string;
  subject: string;
  /** The GitHub login when GitHub linked the commit to an account, else the name it claims. */
  author: string;
  /** False when GitHub could not link the commit to an account (the name is unverified). */
  verified: boolean;
}

export interface Comparison {
  /** How `head` relates to `base`. */
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  aheadBy: number;
  behindBy: number;
  /** Commits in `head` that `base` lacks, oldest first (at most 250). */
  commits: CommitLine[];
  url: string;
}

/** A workflow run, as the bot needs it. */
export interface RunInfo {
  id: number;
  /** The run's title: the workflow's run-name as rendered for this run. */
  displayTitle: string;
  /** 1, then one more at each re-run (the run keeps its id). */
  runAttempt?: number;
  /** The workflow that ran: its id, and its file (`.github/workflows/deploy.yml`). */
  workflowId?: number;
  path?: string;
  status: string;
  conclusion: string | null;
  htmlUrl: string;
  headBranch: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DispatchRequest {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  /** When it aborts, the dispatch is not sent (or, already on its way, abandoned). */
  signal?: AbortSignal;
}

export interface WorkflowInfo {
  id: number;
  path: string;
  name: string;
  state: string;
}

/** A check run on a commit (https://docs.github.com/en/rest/checks/runs). */
export interface CheckRunInfo {
  id: number;
  name: string;
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string;
  /** When completed: success, failure, neutral, cancelled, skipped, timed_out, action_required, stale, startup_failure. */
  conclusion: string | null;
  url?: string;
  /** The slug of the GitHub App that reported it (`github-actions`). */
  app?: string;
}

/** A commit status as posted (https://docs.github.com/en/rest/commits/statuses). */
export interface CommitStatusInfo {
  context: string;
  /** success, pending, failure or error. */
  state: string;
  /** Its link, kept only when it points at GitHub itself (anyone posting a status writes it). */
  url?: string;
  /** Who posted it: a login (an App posts as `<slug>[bot]`); absent when GitHub does not say. */
  creator?: string;
}

/**
 * Everything CI has said about a commit: the latest check run of each name per suite, and every
 * commit status, newest first (so that who changed a context's state, and from what, is known).
 */
export interface CommitChecks {
  runs: CheckRunInfo[];
  statuses: CommitStatusInfo[];
  /** What was not read: check runs and statuses past the pages read (they fail closed). */
  unread?: { runs: number; statuses: number };
}

/**
 * One conditional read of a commit's checks: each list read again, or `unchanged` (GitHub
 * answered 304 to the ETag given: the caller's copy stands).
 */
export interface CommitChecksRead {
  runs: { items: CheckRunInfo[]; unread: number; etag?: string } | 'unchanged';
  statuses: { items: CommitStatusInfo[]; unread: number; etag?: string } | 'unchanged';
}

/** A deployment to record on GitHub (https://docs.github.com/en/rest/deployments/deployments). */
export interface GithubDeploymentRequest {
  owner: string;
  repo: string;
  sha: string;
  environment: string;
  production: boolean;
  description: string;
  payload: Record<string, unknown>;
}

/** A deployment status to post (https://docs.github.com/en/rest/deployments/statuses). */
export interface GithubDeploymentStatusRequest {
  owner: string;
  repo: string;
  deploymentId: number;
  state: 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
  logUrl?: string;
  environmentUrl?: string;
  description: string;
}

/** One job of a workflow run (https://docs.github.com/en/rest/actions/workflow-jobs). */
export interface RunJobInfo {
  id: number;
  name: string;
  /** Which attempt of the run it belongs to (a re-run is attempt 2, …). */
  attempt?: number;
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string;
  conclusion: string | null;
  htmlUrl?: string;
  startedAt?: string;
  completedAt?: string;
  steps: Array<{ number: number; name: string; status: string; conclusion: string | null }>;
}
