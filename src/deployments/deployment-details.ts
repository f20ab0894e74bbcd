import type { Person } from '../../libs/people';

/** The parts of a deployment's record that features fill in: its gate, approvals, changes, jobs. */

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

/**
 * What proves a deployment healthy after its run succeeded: copied from its target's settings
 * when it was requested (a change of the settings applies to the next deployment).
 */
export interface VerificationPlan {
  /** An http(s) URL that must answer `expectStatus` (redirects are not followed). */
  url?: string;
  expectStatus: number;
  /** Text the answer's body must contain (plain text, not a pattern). */
  bodyContains?: string;
  /** A check run or commit status that must pass on the deployed SHA (`name` or `name@app-slug`). */
  check?: string;
  /** How long the deployment must stay healthy after its run succeeded. */
  soakMs: number;
  /** How often it is probed while it soaks. */
  intervalMs: number;
  /** Failed probes in a row that fail the verification. */
  failuresToFail: number;
  /** A failed verification rolls the target back to its last verified deployment. */
  autoRollback: boolean;
  /** With autoRollback: a failed run is rolled back too. */
  onRunFailure: boolean;
}

/**
 * `waiting`: its run has not succeeded yet; `verifying`: probed while it soaks; `verified`;
 * `failed`; `stopped`: a newer deployment to the target was dispatched before the soak ended.
 */
export type VerificationState = 'waiting' | 'verifying' | 'verified' | 'failed' | 'stopped';

/** One probe: healthy, unhealthy, or (a check still running) neither yet. */
export interface ProbeResult {
  at: Date;
  outcome: 'healthy' | 'unhealthy' | 'pending';
  /** What was seen, in plain words (`503 after 120 ms`, `check smoke: failure`). */
  detail: string;
}

/**
 * The automatic rollback of a failed verification: due, then started, or held without one (no
 * verified deployment, a rollback that failed, a target locked by an admin), or skipped (a newer
 * deployment went to the target meanwhile).
 */
export interface AutomaticRollback {
  state: 'due' | 'started' | 'held' | 'skipped';
  /** Why the target is rolled back or held, in plain words. */
  reason: string;
  /** The rollback dispatched, and the deployment (and SHA) it puts back. */
  deploymentId?: string;
  toId?: string;
  toSha?: string;
  at?: Date;
  /** Tries at starting it so far (a busy target, the cap, GitHub or MongoDB away). */
  attempts?: number;
}

/** A deployment's verification after its run: its plan, where it stands, and its last probe. */
export interface VerificationRecord {
  plan: VerificationPlan;
  state: VerificationState;
  startedAt?: Date;
  soakUntil?: Date;
  nextProbeAt?: Date;
  endedAt?: Date;
  probes: number;
  failuresInRow: number;
  lastProbe?: ProbeResult;
  /** Why it failed or stopped, in plain words. */
  reason?: string;
  rollback?: AutomaticRollback;
  /** The channel still has to be told of the failure (and its rollback or hold). */
  noticeDue?: boolean;
}
