/** GitHub as the bot sees it: plain data, whatever the API's shapes. */

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
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
}

/** A commit status, latest per context (https://docs.github.com/en/rest/commits/statuses). */
export interface CommitStatusInfo {
  context: string;
  /** success, pending, failure or error. */
  state: string;
  url?: string;
}

/** Everything CI has said about a commit. */
export interface CommitChecks {
  runs: CheckRunInfo[];
  statuses: CommitStatusInfo[];
  /** What was not read: check runs past the pages read, statuses past the first 100. */
  unread?: {
    runs: number;
    statuses: number;
    /** GitHub's combined state over all statuses: success, pending or failure. */
    statusesState: string;
  };
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
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string;
  conclusion: string | null;
  htmlUrl?: string;
  startedAt?: string;
  completedAt?: string;
  steps: Array<{ number: number; name: string; status: string; conclusion: string | null }>;
}
