import { randomBytes } from 'node:crypto';
import type { Person } from '../../libs/people';
import type {
  ApprovalState,
  ChangeSummary,
  GateRecord,
  GithubDeploymentRecord,
  JobLine,
  VerificationPlan,
  VerificationRecord,
} from './deployment-details';

export type { Person };
export type * from './deployment-details';

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

/**
 * A deployment GitHub started (a push, the "Run workflow" button, a re-run, another tool), not
 * /deploy or /rollback: who started it there, how, and its run. `gated`: the environment's
 * protection rule made GitHub wait for the bot's answer (a Discord request); otherwise the run
 * is only observed and recorded.
 */
export interface DeploymentOrigin {
  kind: 'github';
  /** The GitHub login that started (or re-ran) the run. Data, never a mention. */
  login: string;
  /** GitHub's event: `push`, `workflow_dispatch`, … */
  event: string;
  runId: number;
  /** The run's attempt this deployment is (a re-run keeps the run id: 1, 2, …). */
  runAttempt?: number;
  runUrl?: string;
  gated: boolean;
  /** The login is the bot's own App (a dispatch of its own no deployment claims): never a person. */
  app?: boolean;
  /** The member linked to `login`, when one is (shown by name, never mentioned). */
  member?: Person;
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
  /**
   * A rollback: the deployment it replaces, and the earlier one whose SHA it puts back;
   * `automatic`: started by the bot after `of` failed its verification (one per failure);
   * `unverified`: the target verifies its deployments, and `to` was not verified there.
   */
  rollback?: { of: string; ofSha: string; to: string; automatic?: boolean; unverified?: boolean };
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
  /** Started on GitHub, not from Discord (absent: /deploy or /rollback). */
  origin?: DeploymentOrigin;
  /** Admitted from its target's queue (see DeploymentQueued). */
  queued?: DeploymentQueued;
  /** Sent through a freeze or a closed deploy window by an admin (see ScheduleOverride). */
  scheduleOverride?: ScheduleOverride;
  /** What proves it healthy after its run succeeded, and where that stands (see VerificationRecord). */
  verification?: VerificationRecord;
  /** Asked for as a hotfix (`/deploy … hotfix:True`): counted as rework in the delivery metrics. */
  hotfix?: boolean;
  /** Reported faulty after it succeeded ("Report faulty" on its message): a failed change. */
  fault?: FaultReport;
}

/** Someone who may deploy the target said a deployment that succeeded broke it. */
export interface FaultReport {
  by: Person;
  at: Date;
}

/**
 * A deployment admitted from its target's queue: the entry, when it was queued and why it waited,
 * and the commit its ref named then (the ref is resolved again at admission; the message says so
 * when it moved).
 */
export interface DeploymentQueued {
  entryId: string;
  queuedAt: Date;
  /** What the target waited for when it was queued (busy, locked, frozen, …). */
  waitedFor?: string;
  shaAtQueue?: string;
}

/**
 * An admin's "Deploy anyway" through a freeze or a closed deploy window: who, why, and what it
 * went through. It needs the approval of a second admin; the freeze and windows are not checked
 * again for it (every other rule is).
 */
export interface ScheduleOverride {
  by: Person;
  at: Date;
  reason: string;
  /** What stopped the target when the override was made, in plain words. */
  closure: string;
  rule: 'freeze' | 'window';
  /**
   * Whether the target's windows closed it when the override was made (a freeze may have closed
   * it too): if not, windows closing it later are not something the override went through.
   */
  windowsClosed?: boolean;
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
  /**
   * A run started on GitHub (`origin`) or a request admitted from a queue (`queued`): the channel
   * its message is posted to, since no command waits for a reply.
   */
  origin?: DeploymentOrigin;
  queued?: DeploymentQueued;
  channelId?: string;
  scheduleOverride?: ScheduleOverride;
  /** Its target verifies deployments after their run: how. */
  verification?: VerificationPlan;
  hotfix?: boolean;
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
    ...(draft.origin ? { origin: draft.origin, dispatchRef: draft.ref } : {}),
    ...(draft.channelId ? { channelId: draft.channelId } : {}),
    ...(draft.queued ? { queued: draft.queued } : {}),
    ...(draft.scheduleOverride ? { scheduleOverride: draft.scheduleOverride } : {}),
    ...(draft.hotfix ? { hotfix: true } : {}),
    ...(draft.verification
      ? {
          verification: { plan: draft.verification, state: 'waiting', probes: 0, failuresInRow: 0 },
        }
      : {}),
    ...extra,
  };
}
