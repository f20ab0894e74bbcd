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
