import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import type { Actor } from '../../libs/people';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import { AdmissionGuards } from '../admission/admission.guards';
import type { AdmittedRequest } from '../admission/admitted-request';
import { AppConfig } from '../config/app-config';
import {
  ChangeSummary,
  Deployment,
  DeploymentStatus,
  GATED_STATUSES,
  GateRecord,
  Person,
} from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LaunchChecks } from '../dispatch/launch-checks';
import { DISPATCH_LEASE_MS } from '../deployments/deadlines';
import { GithubClient } from '../github/github.client';
import { AppMetrics } from '../metrics/app-metrics';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import {
  LaunchRefusedError,
  OverriderAloneError,
  SelfApprovalError,
  UnknownRequestError,
} from './approval.errors';
import { summarizeChanges } from './change-summary';

/** What a click on Approve or Cancel leads to. */
export type ApprovalAnswer =
  /** The decisive approval: dispatch it now, holding its dispatch lease as `leaseOwner`. */
  | { kind: 'approved'; deployment: Deployment; leaseOwner: string }
  /** An approval that counts, more are needed; or a cancellation. The message shows it. */
  | { kind: 'changed'; deployment: Deployment }
  /** The request was decided already (or expired): the clicker is told how, privately. */
  | { kind: 'decided'; deployment: Deployment }
  /** The clicker's approval is counted already. */
  | { kind: 'approved-already'; deployment: Deployment };

/** Approving again after a race: each attempt reads the approvals anew. */
const APPROVE_ATTEMPTS = 10;
const STAYS_PENDING = 'The request stays pending until it expires; approve again once it is free.';

/**
 * Protected deploys: a request that dispatches nothing, approvals by admins of that environment
 * (checked at click time from their current roles), exactly one dispatch however many click,
 * cancellation by the requester or an admin, and expiry. Every decision is one atomic change
 * in the kernel; this service decides who may make it.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly config: AppConfig,
    private readonly access: AccessService,
    private readonly transitions: DeploymentTransitions,
    private readonly history: DeploymentHistory,
    private readonly admission: AdmissionGuards,
    private readonly checks: LaunchChecks,
    private readonly github: GithubClient,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
    private readonly registry: ServiceRegistryService,
  ) {}

  /** Records the request with what it would change; a failure gives the cooldown back. */
  async open(request: AdmittedRequest, gate?: GateRecord): Promise<Deployment> {
    try {
      const changes = await this.summarize(request);
      const now = this.clock.now();
      return await this.transitions.openRequest(
        request.draft,
        {
          required: this.config.approval.approvalsRequired,
          approvals: [],
          expiresAt: new Date(now.getTime() + this.config.approval.timeoutMs),
        },
        changes,
        gate,
      );
    } catch (error) {
      await request.release();
      throw error;
    }
  }

  /**
   * A request held at the CI gate that passed it (or was overridden) goes on to approval: the
   * same request, now waiting for admins, with what it would change. Null when it moved meanwhile.
   */
  async openAfterGate(
    deployment: Deployment,
    gate: GateRecord,
    by?: Person,
    note?: string,
    from: DeploymentStatus[] = GATED_STATUSES,
  ): Promise<Deployment | null> {
    const baseSha = (
      await this.history.findLastSuccessful(deployment.service, deployment.environment)
    )?.sha;
    const { owner, repo } = deployment.source ?? (await this.registry.get(deployment.service));
    const changes = await summarizeChanges(this.github, { owner, repo }, baseSha, deployment.sha);
    const now = this.clock.now();
    return this.transitions.move(deployment.id, 'pending_approval', {
      from,
      set: {
        gate,
        changes,
        approval: {
          required: this.config.approval.approvalsRequired,
          approvals: [],
          expiresAt: new Date(now.getTime() + this.config.approval.timeoutMs),
        },
      },
      by,
      note,
    });
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
    if (this.config.approval.requireSecondApprover && (await this.asksForSelf(actor, deployment))) {
      this.refused(deployment);
      throw new SelfApprovalError(Boolean(deployment.origin));
    }
    const approver = { id: actor.id, name: actor.name, at: this.clock.now() };
    // Optimistic: each attempt expects the approvals it read; a concurrent one makes it read again.
    for (let current = deployment, attempt = 0; attempt < APPROVE_ATTEMPTS; attempt++) {
      const settledNow = await this.settledAnswer(current, approver.at);
      if (settledNow) return settledNow;
      const approval = current.approval!;
      if (approval.approvals.some((a) => a.id === actor.id))
        return { kind: 'approved-already', deployment: current };
      const decisive = approval.approvals.length + 1 >= approval.required;
      if (decisive) {
        this.refuseOverriderAlone(current, actor.id);
        const stopped = await this.refuseLaunch(current);
        if (stopped) return stopped;
      }
      const result = await this.transitions.recordApproval(
        id,
        approver,
        approval.approvals.length,
        decisive
          ? { maxConcurrent: this.config.deploy.maxConcurrent, leaseMs: DISPATCH_LEASE_MS }
          : null,
      );
      switch (result.outcome) {
        case 'recorded':
          return { kind: 'changed', deployment: result.deployment };
        case 'approved':
          return {
            kind: 'approved',
            deployment: result.deployment,
            leaseOwner: (result as { leaseOwner: string }).leaseOwner,
          };
        case 'raced':
          current = await this.find(id);
          continue;
        default:
          this.refused(current);
          throw await this.admission.refusal(
            result.outcome === 'locked' ? 'busy' : 'cap',
            current,
            STAYS_PENDING,
          );
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
    const cancelled = await this.transitions.move(id, 'rejected', {
      from: ['pending_approval'],
      unexpired: true,
      by,
      set: {
        'approval.decidedBy': by,
        'approval.decidedAt': this.clock.now(),
      } as Partial<Deployment>,
    });
    if (cancelled) return { kind: 'changed', deployment: cancelled };
    const now = await this.find(id);
    return (await this.settledAnswer(now)) ?? { kind: 'decided', deployment: now };
  }

  /** Marks every request whose time is up as expired (each one atomically: one instance wins). */
  async expireDue(): Promise<number> {
    let expired = 0;
    for (const deployment of await this.history.findExpiredPending(this.clock.now()))
      if (await this.expire(deployment)) expired++;
    return expired;
  }

  /**
   * The answer for a request that can no longer be approved or cancelled: decided already, or
   * past its expiry (then it is expired right here, whatever the sweeper has done).
   */
  private async settledAnswer(
    deployment: Deployment,
    now = this.clock.now(),
  ): Promise<ApprovalAnswer | undefined> {
    if (deployment.status !== 'pending_approval') return { kind: 'decided', deployment };
    if (new Date(deployment.approval!.expiresAt).getTime() > now.getTime()) return undefined;
    await this.expire(deployment);
    return { kind: 'decided', deployment: await this.find(deployment.id) };
  }

  private async expire(deployment: Deployment): Promise<boolean> {
    const moved = await this.transitions.move(deployment.id, 'expired', {
      from: ['pending_approval'],
      note: 'no decision in time',
    });
    return Boolean(moved);
  }

  /**
   * The approval that would dispatch checks again what must hold (LaunchChecks): an admin's lock
   * or the promotion order refuses the click (the request stays pending); CI that turned red
   * since the request stops it at the CI gate (`checks_failed`: an admin may deploy anyway, with a
   * reason, and it asks for approval again), which the answer shows.
   */
  private async refuseLaunch(deployment: Deployment): Promise<ApprovalAnswer | undefined> {
    const refusal = await this.checks.refusal(deployment, 'approval');
    if (!refusal) return undefined;
    this.refused(deployment);
    if (refusal.rule !== 'ci') throw new LaunchRefusedError(refusal.code, refusal.message);
    const stopped = await this.transitions.move(deployment.id, 'checks_failed', {
      from: ['pending_approval'],
      set: { gate: { ...refusal.gate!, waitUntil: this.gateDeadline(deployment) } },
      note: 'CI no longer passes',
    });
    if (!stopped) return undefined;
    return { kind: 'changed', deployment: stopped };
  }

  /** A request stopped at its approval stays open for an override as at the gate. */
  private gateDeadline(deployment: Deployment): Date {
    const fromNow = this.clock.now().getTime() + this.config.ciGate.waitMs;
    return new Date(Math.max(fromNow, deployment.gate?.waitUntil.getTime() ?? 0));
  }

  /**
   * Who sent a request past the CI gate, a freeze or a closed window ("Deploy anyway") cannot be
   * its only approver: each override needs a second admin, who approved it or made another
   * override after it (and so saw it). An override made after another one never counts for it.
   */
  private refuseOverriderAlone(deployment: Deployment, approverId: string): void {
    const signed = [approverId, ...deployment.approval!.approvals.map((approval) => approval.id)];
    const overrides = [
      deployment.gate?.override && { ...deployment.gate.override, schedule: false },
      deployment.scheduleOverride && { ...deployment.scheduleOverride, schedule: true },
    ]
      .filter((override) => !!override)
      .map((override) => ({
        by: override.by.id,
        at: new Date(override.at).getTime(),
        schedule: override.schedule,
      }));
    for (const override of overrides) {
      const later = overrides
        .filter((other) => other.by !== override.by && other.at > override.at)
        .map((other) => other.by);
      if ([...signed, ...later].some((id) => id !== override.by)) continue;
      this.refused(deployment);
      throw new OverriderAloneError(override.schedule);
    }
  }

  private async summarize(request: AdmittedRequest): Promise<ChangeSummary> {
    const { draft } = request;
    const baseSha =
      draft.rollback?.ofSha ??
      (await this.history.findLastSuccessful(draft.service, draft.environment))?.sha;
    return summarizeChanges(this.github, draft.workflow, baseSha, draft.sha);
  }

  /** The requester, or the member linked now to the GitHub account that started the run. */
  private async asksForSelf(actor: Actor, deployment: Deployment): Promise<boolean> {
    if (actor.id === deployment.requester.id) return true;
    if (!deployment.origin || deployment.origin.app) return false;
    const login = await this.access.githubLoginOf(actor.id);
    return login?.toLowerCase() === deployment.origin.login.toLowerCase();
  }

  private async find(id: string): Promise<Deployment> {
    const deployment = await this.history.findById(id);
    if (!deployment?.approval) throw new UnknownRequestError();
    return deployment;
  }

  private refused(deployment: Deployment): void {
    this.metrics.approvals.inc({ environment: deployment.environment, outcome: 'refused' });
  }
}
