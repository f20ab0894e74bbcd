import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import type { Actor } from '../../libs/people';
import { QUEUE_ENTRY_ID, QueueEntry, QueueStore } from '../admission/queue.store';
import { AppMetrics } from '../metrics/app-metrics';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import { ApprovalAnswer, ApprovalService } from '../approval/approval.service';
import { CiGateActions } from '../ci-gate/ci-gate.actions';
import { Deployment, DEPLOYMENT_ID, GATED_STATUSES, isTerminal } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import {
  AlreadyFinishedError,
  NoRunYetError,
  QueueEntryMovedError,
  RunAlreadyFinishedError,
  UnknownDeploymentError,
} from './deploy.errors';

export type CancelOutcome =
  /** A request waiting for approval: decided by the approval flow (cancelled, or decided already). */
  | { kind: 'request'; answer: ApprovalAnswer }
  /** A deployment in flight: GitHub is stopping its run; the deployment follows the run. */
  | { kind: 'run'; deployment: Deployment }
  /** A request held at the CI gate: cancelled (nothing was dispatched). */
  | { kind: 'gated'; deployment: Deployment }
  /** A request waiting in its target's queue: taken out. */
  | { kind: 'queued'; entry: QueueEntry };

/**
 * `/cancel`: a request waiting for approval is cancelled (nothing was dispatched); a run in
 * flight is cancelled on GitHub by the requester or an admin for the environment, and the
 * deployment follows the run to its real final status.
 */
@Injectable()
export class CancelService {
  constructor(
    private readonly access: AccessService,
    private readonly approvals: ApprovalService,
    private readonly history: DeploymentHistory,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly gate: CiGateActions,
    private readonly queue: QueueStore,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
  ) {}

  async cancel(actor: Actor, id: string): Promise<CancelOutcome> {
    if (QUEUE_ENTRY_ID.test(id.trim())) return this.cancelQueued(actor, id.trim());
    const deployment = await this.find(id);
    if (deployment.status === 'pending_approval')
      return { kind: 'request', answer: await this.approvals.cancel(actor, deployment.id) };
    if (GATED_STATUSES.includes(deployment.status))
      return { kind: 'gated', deployment: await this.gate.cancel(actor, deployment.id) };
    await this.requireRequesterOrAdmin(actor, deployment);
    if (isTerminal(deployment.status)) throw new AlreadyFinishedError(deployment);
    if (!deployment.runId) throw new NoRunYetError(deployment.id);
    const { owner, repo } = deployment.source ?? (await this.registry.get(deployment.service));
    try {
      await this.github.cancelRun(owner, repo, deployment.runId);
    } catch (error) {
      if ((error as { code?: string }).code !== 'GITHUB.RUN_FINISHED') throw error;
      // The run ended while the cancellation was on its way: say how, once it is known.
      const now = await this.find(deployment.id);
      throw isTerminal(now.status)
        ? new AlreadyFinishedError(now)
        : new RunAlreadyFinishedError(now);
    }
    return { kind: 'run', deployment };
  }

  /** A queued request: by its requester or an admin for its environment, while it waits. */
  private async cancelQueued(actor: Actor, id: string): Promise<CancelOutcome> {
    const entry = await this.queue.find(id);
    if (!entry || entry.state === 'offered') throw new UnknownDeploymentError(id);
    if (actor.id !== entry.requester.id && !(await this.access.isAdmin(actor, entry.environment)))
      throw new AccessDeniedError(
        `Only the requester or an admin for ${entry.environment} can take this request out of the queue.`,
      );
    const outcome = await this.queue.cancel(
      id,
      { id: actor.id, name: actor.name },
      this.clock.now(),
    );
    if ('cancelled' in outcome) {
      this.metrics.queue.inc({ outcome: 'cancelled' });
      return { kind: 'queued', entry: outcome.cancelled };
    }
    throw new QueueEntryMovedError(outcome.entry ?? entry);
  }

  private async requireRequesterOrAdmin(actor: Actor, deployment: Deployment): Promise<void> {
    if (actor.id === deployment.requester.id) return;
    if (await this.access.isAdmin(actor, deployment.environment)) return;
    throw new AccessDeniedError(
      `Only the requester or an admin for ${deployment.environment} can cancel this deployment.`,
    );
  }

  private async find(id: string): Promise<Deployment> {
    const trimmed = id.trim();
    const deployment = DEPLOYMENT_ID.test(trimmed) ? await this.history.findById(trimmed) : null;
    if (!deployment) throw new UnknownDeploymentError(id);
    return deployment;
  }
}
