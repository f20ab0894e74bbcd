import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import {
  Approval,
  ApprovalState,
  ChangeSummary,
  Deployment,
  DeploymentDraft,
  DeploymentStatus,
  GATED_STATUSES,
  GateRecord,
  isTerminal,
  JobLine,
  newDeployment,
  Person,
} from './deployment';
import { ApprovalOutcome, DeploymentClaims } from './deployment-claims.repository';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentJobs } from './deployment-jobs.repository';

/** How a deployment is moved: the statuses it may come from, what else changes, who did it. */
export type MoveOptions = Omit<Parameters<DeploymentRepository['transition']>[2], 'at'>;

/** Attempts at a fresh id when one collides (6 hex digits: rare, never twice in a row). */
const ID_ATTEMPTS = 3;

/**
 * A deployment just put in flight, and the name of the dispatch lease its caller now holds: the
 * dispatcher renews it right before it sends, and sends nothing once it is lost.
 */
export interface InFlight {
  deployment: Deployment;
  leaseOwner: string;
}

/**
 * The one owner of the deployment's life: it creates deployments (allocating their ids), moves
 * them through the state machine, records the claims that decide them (approvals, runs, the
 * watchdog's notice), and tells everyone through typed events once each change is stored. No
 * other code writes a deployment's status.
 */
@Injectable()
export class DeploymentTransitions {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly claims: DeploymentClaims,
    private readonly events: DeploymentEvents,
    private readonly jobs: DeploymentJobs,
    private readonly clock: Clock,
    private readonly instance: Instance,
  ) {}

  /** A new dispatch lease: held by a fresh owner for `leaseMs`, its first check when it ends. */
  private flightLease(now: Date, leaseMs: number) {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    return { leaseUntil, nextCheckAt: leaseUntil, leaseOwner: this.instance.leaseOwner() };
  }

  /**
   * A deployment in flight from the start (`dispatching`): the insert itself makes its target
   * busy and takes one of `maxConcurrent` slots, or it is refused and nothing is recorded.
   */
  async startInFlight(
    draft: DeploymentDraft,
    maxConcurrent: number,
    leaseMs: number,
    gate?: GateRecord,
  ): Promise<InFlight | { refused: 'busy' | 'cap' }> {
    const now = this.clock.now();
    const lease = this.flightLease(now, leaseMs);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const deployment = newDeployment(draft, 'dispatching', now, {
        dispatchRequestedAt: now,
        ...(gate ? { gate } : {}),
      });
      const outcome = await this.deployments.insertInFlight(deployment, maxConcurrent, lease);
      if (outcome.inserted) {
        this.events.emit({ type: 'created', deployment });
        return { deployment, leaseOwner: lease.leaseOwner };
      }
      if (outcome.reason !== 'id') return { refused: outcome.reason };
    }
    throw new Error('could not allocate a deployment id');
  }

  /** A request that waits for approval: it holds nothing until it is approved. */
  async openRequest(
    draft: DeploymentDraft,
    approval: ApprovalState,
    changes: ChangeSummary,
    gate?: GateRecord,
  ): Promise<Deployment> {
    const now = this.clock.now();
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const deployment = newDeployment(draft, 'pending_approval', now, {
        approval,
        changes,
        ...(gate ? { gate } : {}),
      });
      if (await this.deployments.insertPending(deployment)) {
        this.events.emit({ type: 'created', deployment });
        return deployment;
      }
    }
    throw new Error('could not allocate a deployment id');
  }

  /**
   * A request held at the CI gate (`awaiting_checks` or `checks_failed`): like a request for
   * approval, it holds nothing in flight. One request per target waits there: an older one for the
   * same target is replaced (`superseded`, saying by which). A member has at most `perMember`
   * requests there: `refused` beyond that, and nothing is recorded.
   */
  async openGated(
    draft: DeploymentDraft,
    status: 'awaiting_checks' | 'checks_failed',
    gate: GateRecord,
    perMember: number,
  ): Promise<{ deployment: Deployment } | { refused: 'member' }> {
    const now = this.clock.now();
    let deployment = newDeployment(draft, status, now, { gate });
    for (let attempt = 0; attempt < ID_ATTEMPTS * 2; attempt++) {
      const outcome = await this.deployments.insertHeld(deployment, perMember);
      if (outcome.inserted) {
        this.events.emit({ type: 'created', deployment });
        return { deployment };
      }
      if (outcome.reason === 'member') return { refused: 'member' };
      if (outcome.reason === 'id') deployment = newDeployment(draft, status, now, { gate });
      else await this.supersedeHeld(draft, deployment.id);
    }
    throw new Error('could not record the request at the CI gate');
  }

  /** The request waiting at the CI gate for the draft's target gives way to `newer`. */
  private async supersedeHeld(draft: DeploymentDraft, newer: string): Promise<void> {
    const older = await this.deployments.findHeldFor(draft.service, draft.environment);
    if (!older) return;
    await this.move(older.id, 'superseded', {
      from: GATED_STATUSES,
      by: draft.requester,
      note: `replaced by ${newer}, a newer request for ${draft.environment}`,
    });
  }

  /** What the CI gate sees now, on a deployment still waiting for it. */
  async updateGate(
    id: string,
    gate: GateRecord,
    options: { quiet?: boolean } = {},
  ): Promise<Deployment | null> {
    const updated = await this.deployments.updateGate(id, gate, this.clock.now());
    if (updated && !options.quiet) this.events.emit({ type: 'updated', deployment: updated });
    return updated;
  }

  /** Claims the next request whose CI checks are due (see DeploymentRepository.claimGateCheck). */
  claimGateCheck(leaseMs: number): Promise<Deployment | null> {
    const now = this.clock.now();
    return this.deployments.claimGateCheck(now, new Date(now.getTime() + leaseMs));
  }

  /**
   * Past the CI gate into flight (see DeploymentClaims.claimFlight): `dispatching`, holding the
   * target and a slot, with `gate` recorded as it was passed (or overridden).
   */
  async leaveGateForFlight(
    id: string,
    gate: GateRecord,
    options: {
      maxConcurrent: number;
      leaseMs: number;
      by?: Person;
      note?: string;
      /** The held statuses it may leave from (default: either). */
      from?: DeploymentStatus[];
    },
  ): Promise<InFlight | { refused: 'busy' | 'cap' | 'raced' }> {
    const at = this.clock.now();
    const lease = this.flightLease(at, options.leaseMs);
    const claimed = await this.claims.claimFlight(id, options.from ?? GATED_STATUSES, {
      maxConcurrent: options.maxConcurrent,
      tracking: lease,
      set: { gate },
      by: options.by,
      note: options.note,
      at,
    });
    if (claimed.outcome !== 'moved') return { refused: claimed.outcome };
    this.announceMove(claimed.deployment);
    return { deployment: claimed.deployment, leaseOwner: lease.leaseOwner };
  }

  /**
   * Moves a deployment to `to` when it is still in a status `to` may follow (or one of
   * `options.from`); null when another change got there first. A terminal status frees the
   * target and the slot in the same update.
   */
  async move(
    id: string,
    to: DeploymentStatus,
    options: MoveOptions = {},
  ): Promise<Deployment | null> {
    const moved = await this.deployments.transition(id, to, { ...options, at: this.clock.now() });
    if (moved) this.announceMove(moved);
    return moved;
  }

  /**
   * Records an approval (see DeploymentClaims.recordApproval): one that counts, or the one that
   * decides the request, in the same atomic update as its decision.
   */
  async recordApproval(
    id: string,
    approver: Approval,
    seen: number,
    decision: { maxConcurrent: number; leaseMs: number } | null,
  ): Promise<ApprovalOutcome | (InFlight & { outcome: 'approved' })> {
    const lease = decision && this.flightLease(approver.at, decision.leaseMs);
    const outcome = await this.claims.recordApproval(
      id,
      approver,
      seen,
      decision && lease ? { maxConcurrent: decision.maxConcurrent, tracking: lease } : null,
    );
    if (outcome.outcome === 'recorded')
      this.events.emit({ type: 'approval-changed', deployment: outcome.deployment });
    if (outcome.outcome === 'approved') {
      this.announceMove(outcome.deployment);
      return { ...outcome, leaseOwner: lease!.leaseOwner };
    }
    return outcome;
  }

  /**
   * Records reports of a run's jobs on its deployment (see DeploymentJobs.recordJobs):
   * shown on the message, never a change of status.
   */
  async recordJobs(
    runId: number,
    reports: JobLine[],
    delivery?: { id: string; repository: string },
  ): Promise<Deployment | 'duplicate' | 'unchanged' | null> {
    const recorded = await this.jobs.recordJobs(runId, reports, this.clock.now(), delivery);
    if (recorded && typeof recorded === 'object')
      this.events.emit({ type: 'updated', deployment: recorded });
    return recorded;
  }

  /** Once per deployment: true for the caller that is to tell the requester. */
  async noteWatchdog(id: string): Promise<Deployment | null> {
    const noted = await this.claims.claimWatchdogNotice(id, this.clock.now());
    if (noted) this.events.emit({ type: 'watchdog', deployment: noted });
    return noted;
  }

  /**
   * A run belongs to one deployment: false when another holds it already. `thenMoved`: the
   * caller moves the deployment next, and that move's event tells everyone (so the message
   * never shows the run of a deployment still recorded as dispatching).
   */
  async linkRun(
    id: string,
    runId: number,
    runUrl: string,
    options: { thenMoved?: boolean } = {},
  ): Promise<boolean> {
    const linked = await this.claims.claimRun(id, runId, runUrl, this.clock.now());
    if (linked && !options.thenMoved) this.events.emit({ type: 'updated', deployment: linked });
    return Boolean(linked);
  }

  /** GitHub's own conclusion, recorded beside a status that ended first (a timeout). */
  async recordRunConclusion(id: string, conclusion: string, at: Date): Promise<Deployment | null> {
    const recorded = await this.deployments.recordRunConclusion(
      id,
      conclusion,
      at,
      this.clock.now(),
    );
    if (recorded) this.events.emit({ type: 'updated', deployment: recorded });
    return recorded;
  }

  /** The Discord message that shows the deployment. */
  async attachMessage(id: string, channelId: string, messageId: string): Promise<void> {
    const attached = await this.deployments.attachMessage(
      id,
      channelId,
      messageId,
      this.clock.now(),
    );
    if (attached) this.events.emit({ type: 'updated', deployment: attached });
  }

  /**
   * After a successful rollback: the successful deployments it went over are marked, so the
   * next rollback goes further back. Idempotent.
   */
  async settleRollback(rollback: Deployment, target: Deployment | null): Promise<void> {
    if (rollback.status === 'success' && target)
      await this.deployments.markSuperseded(rollback, target);
    await this.deployments.clearSupersedePending(rollback.id);
  }

  private announceMove(moved: Deployment): void {
    // The status it left is the one recorded before this move.
    const from = moved.transitions.at(-2)?.status ?? moved.status;
    this.events.emit({ type: 'moved', deployment: moved, from });
    if (isTerminal(moved.status)) this.events.emit({ type: 'finished', deployment: moved, from });
  }
}
