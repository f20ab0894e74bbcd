import type { KeyObject } from 'node:crypto';

/** What the fake GitHub knows, as plain data: repositories, runs, jobs, deployments, the App. */

export interface FakeCommit {
  sha: string;
  message: string;
  /** The GitHub account the commit is linked to; null when GitHub could not link it. */
  login: string | null;
  /** The name in the commit itself (free text: anyone can write anything there). */
  authorName: string;
  parents: string[];
  /** Insertion order: commits are listed oldest first, as GitHub's compare does. */
  order: number;
  /** The commit's (author and committer) date, ISO 8601. */
  date: string;
}

export interface FakeRun {
  id: number;
  owner: string;
  repo: string;
  workflowId: number;
  workflowPath: string;
  name: string;
  displayTitle: string;
  headBranch: string;
  headSha: string;
  event: string;
  /** `waiting`: a job waits on an environment's protection rule. */
  status: 'requested' | 'queued' | 'waiting' | 'in_progress' | 'completed';
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the latest attempt started (a re-run starts a new attempt). */
  runStartedAt: string;
  runNumber: number;
  /** 1, and one more per re-run (https://docs.github.com/en/rest/actions/workflow-runs#re-run-a-workflow). */
  runAttempt: number;
  /** Who started the run (the login); a re-run keeps it. */
  actor: string;
  /** Who started the latest attempt: the actor, or whoever re-ran it. */
  triggeringActor: string;
  inputs: Record<string, string>;
}

export interface FakeDispatch {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  returnRunDetails: boolean;
  runId?: number;
}

export interface GithubCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  /** The route template, as Octokit names it (`/repos/{owner}/{repo}/actions/runs/{run_id}`). */
  route: string;
  /** When the request arrived (Date.now()). */
  at: number;
  /** What the fake answered (its JSON body), for its self-test. */
  answer?: unknown;
}

export interface FakeWorkflow {
  id: number;
  path: string;
  name: string;
  /** Declared `workflow_dispatch` inputs; undefined accepts any input. */
  inputs?: string[];
  /** The workflow's `run-name`, with `${{ inputs.x }}` expressions rendered per run. */
  runName?: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  commits: Map<string, FakeCommit>;
  branches: Map<string, string>;
  tags: Map<string, string>;
  /** `refs/pull/N/head`: what a pull request (from a fork, say) points at. */
  pulls: Map<number, string>;
  workflows: FakeWorkflow[];
  /** Check runs by commit, newest last. */
  checkRuns: Map<string, FakeCheckRun[]>;
  /** Commit statuses by commit, newest last. */
  statuses: Map<string, FakeCommitStatus[]>;
  /**
   * CI that runs on every push and passes: each new commit gets a completed, successful `ci`
   * check run from GitHub Actions (a repository without it has no checks but the test's own).
   */
  ci: boolean;
}

/** https://docs.github.com/en/rest/commits/statuses: each one posted is kept, with its creator. */
export interface FakeCommitStatus {
  context: string;
  state: string;
  targetUrl?: string;
  id: number;
  /** The login that posted it (an App posts as `<slug>[bot]`). */
  creator: string;
  createdAt: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  /** The slug of the GitHub App that created it (https://docs.github.com/en/rest/checks/runs). */
  app: string;
}

/** A deployment on GitHub (https://docs.github.com/en/rest/deployments/deployments). */
export interface FakeDeployment {
  id: number;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string;
  payload: Record<string, unknown>;
  autoMerge: boolean;
  requiredContexts?: string[];
  productionEnvironment: boolean;
  transientEnvironment: boolean;
  /** The login that created it (GitHub's own, for a job's environment: the run's actor). */
  creator?: string;
  statuses: FakeDeploymentStatus[];
}

/** https://docs.github.com/en/rest/deployments/statuses */
export interface FakeDeploymentStatus {
  id: number;
  state: string;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
  /** Added by GitHub itself (auto_inactive), not posted. */
  automatic?: boolean;
}

/** A job of a run (https://docs.github.com/en/rest/actions/workflow-jobs). */
export interface FakeJob {
  id: number;
  runId: number;
  /** The run's attempt the job belongs to: a re-run has jobs of its own. */
  runAttempt: number;
  name: string;
  status: 'queued' | 'waiting' | 'in_progress' | 'completed';
  conclusion: string | null;
  steps: Array<{ number: number; name: string; status: string; conclusion: string | null }>;
  startedAt: string;
  completedAt: string | null;
}

/**
 * How workflow dispatch answers: `details` (github.com: 200 with the run id), `no-content`
 * (GHES ≤ 3.20: 204, the run has to be found by listing), `reject-return-run-details` (422 when
 * the parameter is sent, 204 without it).
 */
export type DispatchMode = 'details' | 'no-content' | 'reject-return-run-details';

export const FULL_SHA = /^[0-9a-f]{40}$/;

/** A GitHub App as the fake knows it: its id, its public key, and where it is installed. */
export interface FakeApp {
  appId: number;
  /** Its slug: it acts as the account `<slug>[bot]`. */
  slug: string;
  publicKey: KeyObject;
  /** Per owner (lowercase): the installation's id, and the permissions granted to it. */
  installations: Map<string, { id: number; permissions: Record<string, 'read' | 'write'> }>;
  /** How long an installation token lives (GitHub: one hour). */
  tokenTtlMs: number;
}

export interface InstallationToken {
  installationId: number;
  owner: string;
  expiresAt: number;
  permissions: Record<string, 'read' | 'write'>;
}

/** Every permission the bot's App asks for (see docs/setup.md#permissions). */
export const APP_PERMISSIONS: Record<string, 'read' | 'write'> = {
  actions: 'write',
  contents: 'read',
  deployments: 'write',
  checks: 'read',
  statuses: 'read',
  metadata: 'read',
};

/**
 * Who made a request: the personal token's user, an installation of the App (by its token), or
 * the App itself (by its JWT).
 */
export type Caller =
  | { kind: 'user'; login: string }
  | { kind: 'installation'; installationId: number; owner: string }
  | { kind: 'app' };

/** A GitHub account as payloads show it (`actor`, `sender`, `creator`): a user or a bot. */
export function accountOf(login: string): {
  login: string;
  id: number;
  node_id: string;
  type: string;
} {
  let id = 7;
  for (const char of login) id = (id * 31 + char.charCodeAt(0)) % 2_000_000_000;
  const type = login.endsWith('[bot]') ? 'Bot' : 'User';
  return { login, id, node_id: `${type === 'Bot' ? 'BOT' : 'U'}_kgDO${id}`, type };
}

/**
 * An environment of a repository (https://docs.github.com/en/actions/reference/deployments-and-environments):
 * with `customRuleId`, the fake's App is enabled on it as a custom deployment protection rule.
 */
export interface FakeEnvironment {
  owner: string;
  repo: string;
  name: string;
  customRuleId?: number;
}

/** A webhook delivery the fake sent (or could not: `status` 0, with the error). */
export interface FakeDelivery {
  event: string;
  deliveryId: string;
  payload: Record<string, unknown>;
  /** The receiver's HTTP status; 0 until answered, or when it could not be sent. */
  status: number;
  error?: string;
}

/** Jobs of a run waiting on an environment's custom deployment protection rule. */
export interface PendingReview {
  runId: number;
  environment: string;
  /** How many jobs wait (each got a deployment and a delivery). */
  jobs: number;
  jobIds: number[];
  deploymentIds: number[];
}

/** An answer the App gave to a custom deployment protection rule (comment-only: `state` null). */
export interface ProtectionAnswer {
  runId: number;
  environment: string;
  state: 'approved' | 'rejected' | null;
  comment: string;
  at: number;
}
