import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import {
  Approval,
  ApprovalState,
  ChangeSummary,
  Deployment,
  DeploymentDraft,
  DeploymentStatus,
  isTerminal,
  newDeployment,
} from './deployment';
import { ApprovalOutcome, DeploymentClaims } from './deployment-claims.repository';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';

/** How a deployment is moved: the statuses it may come from, what else changes, who did it. */
export type MoveOptions = Omit<Parameters<DeploymentRepository['transition']>[2], 'at'>;

/** Attempts at a fresh id when one collides (6 hex digits: rare, never twice in a row). */
const ID_ATTEMPTS = 3;

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
    private readonly clock: Clock,
  ) {}

  /**
   * A deployment in flight from the start (`dispatching`): the insert itself makes its target
   * busy and takes one of `maxConcurrent` slots, or it is refused and nothing is recorded.
   */
  async startInFlight(
    draft: DeploymentDraft,
    maxConcurrent: number,
    leaseMs: number,
  ): Promise<{ deployment: Deployment } | { refused: 'busy' | 'cap' }> {
    const now = this.clock.now();
    const lease = new Date(now.getTime() + leaseMs);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const deployment = newDeployment(draft, 'dispatching', now, { dispatchRequestedAt: now });
      const outcome = await this.deployments.insertInFlight(deployment, maxConcurrent, {
        leaseUntil: lease,
        nextCheckAt: lease,
      });
      if (outcome.inserted) {
        this.events.emit({ type: 'created', deployment });
        return { deployment };
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
  ): Promise<Deployment> {
    const now = this.clock.now();
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const deployment = newDeployment(draft, 'pending_approval', now, { approval, changes });
      if (await this.deployments.insertPending(deployment)) {
        this.events.emit({ type: 'created', deployment });
        return deployment;
      }
    }
    throw new Error('could not allocate a deployment id');
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
    decision: Parameters<DeploymentClaims['recordApproval']>[3],
  ): Promise<ApprovalOutcome> {
    const outcome = await this.claims.recordApproval(id, approver, seen, decision);
    if (outcome.outcome === 'recorded')
      this.events.emit({ type: 'approval-changed', deployment: outcome.deployment });
    if (outcome.outcome === 'approved') this.announceMove(outcome.deployment);
    return outcome;
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
