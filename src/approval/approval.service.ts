import { Injectable } from '@nestjs/common';
import { plainText } from '../../libs/text';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import type { Actor } from '../access/actor';
import { AppConfig } from '../config/app-config';
import { CapacityError, TargetBusyError, TargetLockedError } from '../deploy/deploy.errors';
import { TargetLockRepository } from '../deploy/target-lock.repository';
import { DISPATCH_LEASE_MS, newDeployment, PreparedDeploy } from '../deploy/deploy.service';
import { ChangeSummary, Deployment } from '../deploy/deployment';
import { DeploymentEvents } from '../deploy/deployment.events';
import { DeploymentHistory } from '../deploy/deployment-history.repository';
import { DeploymentRepository } from '../deploy/deployment.repository';
import { GithubClient } from '../github/github.client';
import { AppMetrics } from '../metrics/app-metrics';
import { SelfApprovalError, UnknownRequestError } from './approval.errors';
import { summarizeChanges } from './change-summary';

/** What a click on Approve or Cancel leads to. */
export type ApprovalAnswer =
  /** The decisive approval: dispatch it now. */
  | { kind: 'approved'; deployment: Deployment }
  /** An approval that counts, more are needed; or a cancellation. The message shows it. */
  | { kind: 'changed'; deployment: Deployment }
  /** The request was decided already: say what happened, privately. */
  | { kind: 'info'; message: string };

const timestamp = (date: Date | undefined) =>
  date ? `<t:${Math.floor(new Date(date).getTime() / 1000)}:f>` : 'earlier';

/** What happened to a request that is no longer pending, in a sentence. */
export function describeDecision(deployment: Deployment): string {
  const decided = deployment.approval?.decidedBy;
  switch (deployment.status) {
    case 'pending_approval':
      return 'This request is still waiting for approval.';
    case 'rejected':
      return `This request was cancelled by ${plainText(decided?.name ?? 'someone', 60)} ${timestamp(deployment.approval?.decidedAt)}.`;
    case 'expired':
      return `This request expired at ${timestamp(deployment.approval?.expiresAt)}; nothing was dispatched.`;
    default:
      return `Already approved by ${plainText(decided?.name ?? 'an admin', 60)} at ${timestamp(deployment.approval?.decidedAt)}.`;
  }
}

/**
 * Protected deploys: a request that dispatches nothing, approvals by admins of that environment
 * (checked at click time from their current roles), exactly one dispatch however many click,
 * cancellation by the requester or an admin, and expiry.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly config: AppConfig,
    private readonly access: AccessService,
    private readonly deployments: DeploymentRepository,
    private readonly github: GithubClient,
    private readonly events: DeploymentEvents,
    private readonly metrics: AppMetrics,
    private readonly locks: TargetLockRepository,
    private readonly history: DeploymentHistory,
  ) {}

  /**
   * Records the request (status pending_approval) with what it would change. The caller has
   * admitted it already; a failure here gives the member's cooldown back.
   */
  async open(actor: Actor, prepared: PreparedDeploy): Promise<Deployment> {
    const now = new Date();
    try {
      const changes = await this.summarize(prepared);
      for (let attempt = 0; attempt < 3; attempt++) {
        const deployment = newDeployment(actor, prepared, 'pending_approval', now, {
          approval: {
            required: this.config.approval.approvalsRequired,
            approvals: [],
            expiresAt: new Date(now.getTime() + this.config.approval.timeoutMs),
          },
          changes,
        });
        if (await this.deployments.insertPending(deployment)) {
          this.events.changed({ deployment });
          return deployment;
        }
      }
      throw new Error('could not allocate a deployment id');
    } catch (error) {
      await prepared.release();
      throw error;
    }
  }

  async approve(actor: Actor, id: string): Promise<ApprovalAnswer> {
    const deployment = await this.find(id);
    const settled = await this.settledAnswer(deployment);
    if (settled) return settled;
    if (!(await this.access.isAdmin(actor, deployment.environment))) {
      this.refused(deployment);
      throw new AccessDeniedError(
        `Only admins for ${deployment.environment} can approve this deployment.`,
      );
    }
    if (this.config.approval.requireSecondApprover && actor.id === deployment.requester.id) {
      this.refused(deployment);
      throw new SelfApprovalError();
    }
    const manualLock = await this.locks.find(deployment.service, deployment.environment);
    const approver = { id: actor.id, name: actor.name, at: new Date() };
    // Optimistic: each attempt expects the approvals it read; a concurrent one makes it read again.
    for (let current = deployment, attempt = 0; attempt < 10; attempt++) {
      const settledNow = await this.settledAnswer(current, approver.at);
      if (settledNow) return settledNow;
      const approval = current.approval!;
      if (approval.approvals.some((a) => a.id === actor.id))
        return { kind: 'info', message: 'You have approved this request already.' };
      const decisive = approval.approvals.length + 1 >= approval.required;
      if (decisive && manualLock) {
        this.refused(current);
        throw new TargetLockedError(manualLock, 'The request stays pending until it expires.');
      }
      const lease = new Date(approver.at.getTime() + DISPATCH_LEASE_MS);
      const result = await this.deployments.recordApproval(
        id,
        approver,
        approval.approvals.length,
        decisive
          ? {
              maxConcurrent: this.config.deploy.maxConcurrent,
              tracking: { leaseUntil: lease, nextCheckAt: lease },
            }
          : null,
      );
      switch (result.outcome) {
        case 'recorded':
          this.events.changed({ deployment: result.deployment });
          return { kind: 'changed', deployment: result.deployment };
        case 'approved':
          return this.approved(result.deployment, approver.at);
        case 'raced':
          current = await this.find(id);
          continue;
        default:
          this.refused(current);
          throw await this.blocked(current, result.outcome);
      }
    }
    throw new Error(`approving ${id} kept racing other changes`);
  }

  async cancel(actor: Actor, id: string): Promise<ApprovalAnswer> {
    const deployment = await this.find(id);
    const settled = await this.settledAnswer(deployment);
    if (settled) return settled;
    const isRequester = actor.id === deployment.requester.id;
    if (!isRequester && !(await this.access.isAdmin(actor, deployment.environment))) {
      this.refused(deployment);
      throw new AccessDeniedError(
        `Only the requester or an admin for ${deployment.environment} can cancel this request.`,
      );
    }
    const by = { id: actor.id, name: actor.name };
    const at = new Date();
    const cancelled = await this.deployments.transition(id, 'rejected', {
      from: ['pending_approval'],
      unexpired: true,
      by,
      at,
      set: { 'approval.decidedBy': by, 'approval.decidedAt': at } as Partial<Deployment>,
    });
    if (!cancelled) {
      const now = await this.find(id);
      return (
        (await this.settledAnswer(now, at)) ?? { kind: 'info', message: describeDecision(now) }
      );
    }
    this.metrics.approvals.inc({ environment: cancelled.environment, outcome: 'cancelled' });
    this.events.changed({ deployment: cancelled, previousStatus: 'pending_approval' });
    return { kind: 'changed', deployment: cancelled };
  }

  /** Marks every request whose time is up as expired (each one atomically: one instance wins). */
  async expireDue(now = new Date()): Promise<number> {
    let expired = 0;
    for (const deployment of await this.deployments.findExpiredPending(now))
      if (await this.expire(deployment, now)) expired++;
    return expired;
  }

  /**
   * The answer for a request that can no longer be approved or cancelled: decided already, or
   * past its expiry (then it is expired right here, whatever the sweeper has done).
   */
  private async settledAnswer(
    deployment: Deployment,
    now = new Date(),
  ): Promise<ApprovalAnswer | undefined> {
    if (deployment.status !== 'pending_approval')
      return { kind: 'info', message: describeDecision(deployment) };
    if (new Date(deployment.approval!.expiresAt).getTime() > now.getTime()) return undefined;
    await this.expire(deployment, now);
    return { kind: 'info', message: describeDecision(await this.find(deployment.id)) };
  }

  private async expire(deployment: Deployment, now: Date): Promise<boolean> {
    const moved = await this.deployments.transition(deployment.id, 'expired', {
      from: ['pending_approval'],
      at: now,
      note: 'no decision in time',
    });
    if (!moved) return false;
    this.metrics.approvals.inc({ environment: moved.environment, outcome: 'expired' });
    this.events.changed({ deployment: moved, previousStatus: 'pending_approval' });
    return true;
  }

  private approved(deployment: Deployment, at: Date): ApprovalAnswer {
    this.metrics.approvals.inc({ environment: deployment.environment, outcome: 'approved' });
    this.metrics.approvalWait.observe(
      { environment: deployment.environment },
      (at.getTime() - new Date(deployment.createdAt).getTime()) / 1000,
    );
    this.events.changed({ deployment, previousStatus: 'pending_approval' });
    return { kind: 'approved', deployment };
  }

  /** Why the last approval could not decide: the target is busy, or the cap is reached. */
  private async blocked(deployment: Deployment, reason: 'locked' | 'cap'): Promise<Error> {
    const stays = 'The request stays pending until it expires; approve again once it is free.';
    if (reason === 'locked') {
      const holder = await this.deployments.findInFlightForTarget(
        deployment.service,
        deployment.environment,
      );
      return new TargetBusyError(holder ?? deployment, stays);
    }
    return new CapacityError(
      this.config.deploy.maxConcurrent,
      await this.deployments.listInFlight(),
      stays,
    );
  }

  private async summarize(prepared: PreparedDeploy): Promise<ChangeSummary> {
    const baseSha =
      prepared.rollback?.ofSha ??
      (await this.history.findLastSuccessful(prepared.service.name, prepared.environment))?.sha;
    return summarizeChanges(this.github, prepared.service, baseSha, prepared.sha);
  }

  private async find(id: string): Promise<Deployment> {
    const deployment = await this.deployments.findById(id);
    if (!deployment?.approval) throw new UnknownRequestError();
    return deployment;
  }

  private refused(deployment: Deployment): void {
    this.metrics.approvals.inc({ environment: deployment.environment, outcome: 'refused' });
  }
}
