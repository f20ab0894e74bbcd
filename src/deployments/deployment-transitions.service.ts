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
  Person,
} from './deployment';
import { ApprovalOutcome, DeploymentClaims } from './deployment-claims.repository';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentGateRepository } from './deployment-gate.repository';
import { DeploymentJobs } from './deployment-jobs.repository';
import { DeploymentOpenings, InFlight } from './deployment-openings';

/** How a deployment is moved: the statuses it may come from, what else changes, who did it. */
export type MoveOptions = Omit<Parameters<DeploymentRepository['transition']>[2], 'at'>;

export type { InFlight };

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
    private readonly gate: DeploymentGateRepository,
    private readonly claims: DeploymentClaims,
    private readonly events: DeploymentEvents,
    private readonly jobs: DeploymentJobs,
    private readonly clock: Clock,
    instance: Instance,
  ) {
    this.openings = new DeploymentOpenings(
      deployments,
      gate,
      events,
      this,
      () => clock.now(),
      () => instance.leaseOwner(),
    );
  }

  private readonly openings: DeploymentOpenings;

  /**
   * A deployment in flight from the start (`dispatching`): the insert itself makes its target
   * busy and takes one of `maxConcurrent` slots, or it is refused and nothing is recorded.
   */
  startInFlight(
    draft: DeploymentDraft,
    maxConcurrent: number,
    leaseMs: number,
    gate?: GateRecord,
  ): Promise<InFlight | { refused: 'busy' | 'cap' }> {
    return this.openings.startInFlight(draft, maxConcurrent, leaseMs, gate);
  }

  /** A request that waits for approval: it holds nothing until it is approved. */
  openRequest(
    draft: DeploymentDraft,
    approval: ApprovalState,
    changes: ChangeSummary,
    gate?: GateRecord,
  ): Promise<Deployment> {
    return this.openings.openRequest(draft, approval, changes, gate);
  }

  /**
   * A request held at the CI gate, one per target (an older one is `superseded`), at most
   * `perMember` per member (see DeploymentOpenings.openGated).
   */
  openGated(
    draft: DeploymentDraft,
    status: 'awaiting_checks' | 'checks_failed',
    gate: GateRecord,
    perMember: number,
  ): Promise<{ deployment: Deployment } | { refused: 'member' }> {
    return this.openings.openGated(draft, status, gate, perMember);
  }

  /** What the CI gate sees now, on a deployment still waiting for it. */
  async updateGate(
    id: string,
    gate: GateRecord,
    options: { quiet?: boolean } = {},
  ): Promise<Deployment | null> {
    const updated = await this.gate.updateGate(id, gate, this.clock.now());
    if (updated && !options.quiet) this.events.emit({ type: 'updated', deployment: updated });
    return updated;
  }

  /** Claims the next request whose CI checks are due (see DeploymentGateRepository.claimGateCheck). */
  claimGateCheck(leaseMs: number): Promise<Deployment | null> {
    const now = this.clock.now();
    return this.gate.claimGateCheck(now, new Date(now.getTime() + leaseMs));
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
    const lease = this.openings.flightLease(at, options.leaseMs);
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
    const lease = decision && this.openings.flightLease(approver.at, decision.leaseMs);
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

  /** A run started on GitHub and only observed: recorded as it is (see DeploymentOpenings). */
  recordObserved(
    draft: DeploymentDraft,
    status: DeploymentStatus,
    set: Partial<Deployment>,
    nextCheckAt?: Date,
  ): Promise<Deployment> {
    return this.openings.recordObserved(draft, status, set, nextCheckAt);
  }

  /** An observed run GitHub then asked about gives way (`superseded`, freeing the run). */
  async supersedeObserved(id: string, note: string): Promise<Deployment | null> {
    return this.move(id, 'superseded', {
      from: ['dispatched', 'queued', 'in_progress'],
      note,
      unsetRun: true,
    });
  }

  /**
   * A run GitHub held for the bot's answer, let through (`dispatching` → `dispatched`): followed
   * from here (an ended earlier attempt lets it go). Null when it moved meanwhile.
   */
  async releaseHeldRun(
    id: string,
    leaseOwner: string,
    run: { runId: number; runUrl?: string },
    nextCheckAt: Date,
  ): Promise<Deployment | null> {
    const now = this.clock.now();
    await this.deployments.releaseEndedRun(run.runId, id, now);
    return this.move(id, 'dispatched', {
      from: ['dispatching'],
      releaseLease: leaseOwner,
      set: { runId: run.runId, runUrl: run.runUrl ?? '', dispatchedAt: now },
      tracking: { nextCheckAt },
    });
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

  /**
   * A member reports a deployment that succeeded faulty (the delivery metrics count it as a failed
   * change); null when it cannot be (not a success, reported already, older than `since`).
   */
  async reportFault(id: string, by: Person, since: Date): Promise<Deployment | null> {
    const reported = await this.deployments.reportFault(id, by, since, this.clock.now());
    if (reported) this.events.emit({ type: 'updated', deployment: reported });
    return reported;
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
