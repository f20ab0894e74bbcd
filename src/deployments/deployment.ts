import { randomBytes } from 'node:crypto';
import type { Person } from '../../libs/people';

export type { Person };

/** Every status a deployment moves through. Terminal ones never change. */
export type DeploymentStatus =
  | 'awaiting_checks'
  | 'checks_failed'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'dispatching'
  /** GitHub's answer to the dispatch was lost: a run may exist; the bot looks for it. */
  | 'dispatch_unknown'
  | 'dispatched'
  | 'queued'
  | 'in_progress'
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'timed_out'
  | 'dispatch_failed'
  /** Replaced at the CI gate by a newer request for the same target. */
  | 'superseded';

/** Holding the target's lock and a concurrency slot: between approval and the run's end. */
export const IN_FLIGHT_STATUSES: DeploymentStatus[] = [
  'approved',
  'dispatching',
  'dispatch_unknown',
  'dispatched',
  'queued',
  'in_progress',
];

export const TERMINAL_STATUSES: DeploymentStatus[] = [
  'rejected',
  'expired',
  'success',
  'failure',
  'cancelled',
  'timed_out',
  'dispatch_failed',
  'superseded',
];

/** Statuses the tracker watches: a dispatch is due (approved), or a run may exist and move on. */
export const TRACKED_STATUSES: DeploymentStatus[] = [
  'approved',
  'dispatching',
  'dispatch_unknown',
  'dispatched',
  'queued',
  'in_progress',
];

const RANK: Record<string, number> = {
  awaiting_checks: 0,
  checks_failed: 1,
  pending_approval: 2,
  approved: 3,
  dispatching: 4,
  dispatch_unknown: 5,
  dispatched: 6,
  queued: 7,
  in_progress: 8,
};

/** Held at the CI gate: waiting for checks, or stopped by them until an admin overrides. */
export const GATED_STATUSES: DeploymentStatus[] = ['awaiting_checks', 'checks_failed'];

export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The state machine: the statuses `to` may be reached from. Never backwards, never out of a
 * terminal status (awaiting_checks → checks_failed → pending_approval → approved → dispatching
 * → dispatch_unknown → dispatched → queued → in_progress → a terminal status; any may be
 * skipped or end early).
 */
export function statusesBefore(to: DeploymentStatus): DeploymentStatus[] {
  const rank = isTerminal(to) ? Infinity : RANK[to];
  return (Object.keys(RANK) as DeploymentStatus[]).filter((status) => RANK[status] < rank);
}

export interface Transition {
  status: DeploymentStatus;
  at: Date;
  by?: Person;
  note?: string;
}

/** Where a deployment runs, copied from its service when it was created. */
export interface DeploymentSource {
  owner: string;
  repo: string;
  /** Workflow file name in .github/workflows, or its numeric id. */
  workflow: string;
  /** The workflow inputs the dispatch sends: the environment, the SHA, and maybe the id. */
  inputs: Record<string, string>;
}

export interface Deployment {
  /** Short and human: `d-7f3a2c`. */
  id: string;
  service: string;
  environment: string;
  /** Absent only on records made before sources were kept: the service is read instead. */
  source?: DeploymentSource;
  ref: string;
  sha: string;
  requester: Person;
  status: DeploymentStatus;
  transitions: Transition[];
  createdAt: Date;
  updatedAt: Date;
  runId?: number;
  runUrl?: string;
  /** GitHub's own conclusion, kept even when it arrives after a timeout. */
  runConclusion?: string;
  runCompletedAt?: Date;
  /** The branch the workflow is dispatched on: always the service's default branch. */
  dispatchRef?: string;
  dispatchRequestedAt?: Date;
  /** When the dispatch request went to GitHub (a lost answer is looked for from here). */
  dispatchSentAt?: Date;
  dispatchedAt?: Date;
  finishedAt?: Date;
  /** Why it failed to dispatch, in plain words. */
  failureReason?: string;
  channelId?: string;
  messageId?: string;
  /** Protected targets: who must still approve, and who has. */
  approval?: ApprovalState;
  /** What would ship: the commits since the last successful deployment to this environment. */
  changes?: ChangeSummary;
  /** A rollback: the deployment it replaces, and the earlier one whose SHA it puts back. */
  rollback?: { of: string; ofSha: string; to: string };
  /** Rolled back over by a successful rollback: a later rollback goes further back. */
  supersededBy?: string;
  /** When the requester was told GitHub had not started the run. */
  watchdogNotifiedAt?: Date;
  /** The Discord message is gone or out of the bot's reach: it is no longer edited. */
  messageLost?: { at: Date; reason: string };
  /** What the CI gate saw on the commit, and an admin's override of it. */
  gate?: GateRecord;
  /** GitHub's own record of this deployment (the service's GitHub Deployments mode `bot`). */
  githubDeployment?: GithubDeploymentRecord;
  /** The run's jobs as GitHub reported them: shown on the message, never moving the status. */
  jobs?: JobLine[];
}

/** The states of a GitHub deployment status (https://docs.github.com/en/rest/deployments/statuses). */
export type GithubDeploymentState =
  'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** What the bot keeps of the deployment it records on GitHub. */
export interface GithubDeploymentRecord {
  /** The target is protected: GitHub shows it as a production environment. */
  production: boolean;
  /** Where the deployed environment can be reached (set per target). */
  environmentUrl?: string;
  /** GitHub's id of the deployment, once created. */
  id?: number;
  /** The last status posted to it. */
  state?: GithubDeploymentState;
  /** Why GitHub's record could not be created or kept up, in plain words (the deploy went on). */
  error?: string;
}

/** One job of the deployment's run, as its latest report said. */
export interface JobLine {
  id: number;
  name: string;
  /** The run's attempt it belongs to, when a re-run (2, 3, …); absent for the first. */
  attempt?: number;
  /** `waiting`: held by a GitHub environment's protection rules. */
  status: 'queued' | 'waiting' | 'in_progress' | 'completed';
  conclusion?: string;
  /** The step running now (in_progress), or the one that failed (a failed job). */
  step?: { number: number; name: string };
  steps: number;
  url?: string;
  /** When GitHub reported it (orders reports that arrive out of order). */
  at: string;
}

/** One check on the commit: a check run, or a commit status (by its context, with its creators). */
export interface CheckLine {
  name: string;
  state: 'passed' | 'pending' | 'failed' | 'missing';
  /** GitHub's own word: a check run's conclusion or status, a commit status's state. */
  detail: string;
  url?: string;
}

/** `all`: every check must pass; `required`: the named ones, which must exist; `off`: none. */
export type GateMode = 'all' | 'required' | 'off';

export interface GateRecord {
  mode: Exclude<GateMode, 'off'>;
  /** With `required`: the check names it judges by (as set when the request was made). */
  required?: string[];
  verdict: 'passed' | 'pending' | 'failed' | 'unknown';
  /** How many checks the gate considers, and how many of them are still running. */
  total: number;
  pending: number;
  /** The checks that stop it or that it waits for (at most 10, failing first). */
  checks: CheckLine[];
  /** Why the gate cannot tell (GitHub's checks could not be read), in plain words. */
  reason?: string;
  /** Refused because nothing at all reported on the commit (no CI ran, or it never started). */
  noCi?: boolean;
  /** Until then a commit without checks (or a required one not reported) waits for CI to start. */
  noChecksUntil?: Date;
  checkedAt: Date;
  /** The request stops waiting for CI (and an override is no longer offered) at this time. */
  waitUntil: Date;
  /** When to read the checks again while waiting. */
  nextCheckAt?: Date;
  /** CI passed, but the target was busy or the cap reached: it tries again. */
  heldBy?: string;
  override?: { by: Person; at: Date; reason: string; checks: CheckLine[] };
}

export interface Approval extends Person {
  at: Date;
}

export interface ApprovalState {
  required: number;
  approvals: Approval[];
  expiresAt: Date;
  /** Who cancelled the request, or whose approval completed it. */
  decidedBy?: Person;
  decidedAt?: Date;
}

export interface CommitSummary {
  sha: string;
  subject: string;
  author: string;
  /** False when GitHub could not link the commit to an account: the name is unverified. */
  verified: boolean;
}

/**
 * What a deployment changes on its target, for the approver: the commits it adds and the ones
 * it takes away, compared with what runs there now.
 */
export interface ChangeSummary {
  /** What runs there now (the last success); absent for a first deployment. */
  baseSha?: string;
  /** How the target commit relates to what runs now. */
  status?: 'ahead' | 'behind' | 'diverged' | 'identical';
  added: { total: number; commits: CommitSummary[] };
  removed: { total: number; commits: CommitSummary[] };
  url?: string;
  /** Set when GitHub could not compare (the lists are then empty). */
  unavailable?: string;
}

/** Short and human: `d-7f3a2c`. */
export const DEPLOYMENT_ID = /^d-[0-9a-f]{6}$/;

export function newDeploymentId(): string {
  return `d-${randomBytes(3).toString('hex')}`;
}

/** When the deployment's dispatch was asked for (older records: when it was created). */
export function dispatchAskedAt(
  deployment: Pick<Deployment, 'dispatchRequestedAt' | 'createdAt'>,
): Date {
  return deployment.dispatchRequestedAt ?? deployment.createdAt;
}

/** From the dispatch to the end, when both are known. */
export function deploymentDurationMs(deployment: Deployment): number | undefined {
  const start = deployment.dispatchedAt ?? deployment.dispatchRequestedAt;
  const end = deployment.finishedAt;
  return start && end ? new Date(end).getTime() - new Date(start).getTime() : undefined;
}

/**
 * What a feature hands the kernel to create a deployment: the target, the commit, who asks, and
 * where the workflow is, copied from the service (the kernel adds the id and the inputs).
 */
export interface DeploymentDraft {
  service: string;
  environment: string;
  ref: string;
  sha: string;
  requester: Person;
  workflow: {
    owner: string;
    repo: string;
    workflow: string;
    /** The branch every dispatch runs the workflow from. */
    defaultBranch: string;
    environmentInput: string;
    shaInput: string;
    idInput?: string;
  };
  rollback?: Deployment['rollback'];
  /** The service records its deployments on GitHub (its GitHub Deployments mode `bot`). */
  githubDeployment?: { production: boolean; environmentUrl?: string };
}

/** The record of a new deployment: its id, first status, and the inputs its dispatch sends. */
export function newDeployment(
  draft: DeploymentDraft,
  status: DeploymentStatus,
  now: Date,
  extra: Partial<Deployment> = {},
): Deployment {
  const id = newDeploymentId();
  const { workflow } = draft;
  const inputs: Record<string, string> = {
    [workflow.environmentInput]: draft.environment,
    [workflow.shaInput]: draft.sha,
  };
  if (workflow.idInput) inputs[workflow.idInput] = id;
  return {
    id,
    service: draft.service,
    environment: draft.environment,
    source: { owner: workflow.owner, repo: workflow.repo, workflow: workflow.workflow, inputs },
    ref: draft.ref,
    sha: draft.sha,
    requester: draft.requester,
    status,
    transitions: [{ status, at: now, by: draft.requester }],
    createdAt: now,
    updatedAt: now,
    // The workflow definition always comes from the protected default branch; the commit to
    // deploy travels in the SHA input.
    dispatchRef: workflow.defaultBranch,
    ...(draft.rollback ? { rollback: draft.rollback } : {}),
    ...(draft.githubDeployment ? { githubDeployment: { ...draft.githubDeployment } } : {}),
    ...extra,
  };
}
