import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import {
  Deployment,
  DeploymentStatus,
  isTerminal,
  statusesBefore,
} from '../deployments/deployment';
import {
  DeliveryOrigin,
  DeploymentTrackingStore,
  TrackedDeployment,
} from '../deployments/deployment-tracking.store';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { DispatchService } from '../dispatch/dispatch.service';
import { DISPATCH_GRACE_MS, WATCHDOG_MS } from '../dispatch/run-start';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { statusFromRun } from './run-status';
/** After a timeout the run is still watched, less often, for its real conclusion. */
const LATE_WATCH_FACTOR = 6;
const LATE_WATCH_MS = 24 * 3_600_000;

/**
 * Moves deployments along with their runs: from webhooks and from polling, in any order, never
 * backwards. Shared by the webhook controller and the poller.
 */
@Injectable()
export class RunTrackerService {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly config: AppConfig,
    private readonly transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly dispatcher: DispatchService,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly clock: Clock,
    private readonly instance: Instance,
  ) {}

  /**
   * Applies one webhook delivery about a run, when it comes from the deployment's repository
   * and workflow. The delivery id is recorded on the deployment in the same update that reads
   * it (so a redelivery is recognised), and the status moves on in a second update only when
   * the event takes it further.
   */
  async applyDelivery(
    runId: number,
    deliveryId: string,
    run: Pick<RunInfo, 'status' | 'conclusion' | 'htmlUrl' | 'updatedAt'>,
    origin: DeliveryOrigin,
  ): Promise<'accepted' | 'duplicate' | 'ignored'> {
    const recorded = await this.tracking.recordDelivery(runId, deliveryId, origin);
    if (recorded === 'duplicate') return 'duplicate';
    if (!recorded) return 'ignored';
    try {
      await this.apply(recorded, run);
    } catch (error) {
      // Not applied: a redelivery of the same id must be processed, not recognised.
      await this.tracking.forgetDelivery(recorded.id, deliveryId).catch(() => undefined);
      throw error;
    }
    return 'accepted';
  }

  /**
   * One due check (a poll): claims the deployment (of all instances, one worker at a time holds
   * it, renewing its lease while it works), looks at GitHub, releases it.
   */
  async checkNextDue(): Promise<boolean> {
    const now = this.clock.now();
    const owner = this.instance.leaseOwner();
    const deployment = await this.tracking.claimDueCheck(now, LEASE_MS, owner);
    if (!deployment) return false;
    try {
      await renewingWhile(
        () => this.tracking.renewCheck(deployment.id, owner, this.clock.now(), LEASE_MS),
        () => this.check(deployment, now),
      );
    } catch (error) {
      const reason = error instanceof AppError ? error.message : (error as Error).message;
      this.logger.warn(`Checking ${deployment.id} failed: ${reason}`);
      await this.tracking.releaseCheck(
        deployment,
        new Date(now.getTime() + this.config.deploy.pollIntervalMs),
      );
    }
    return true;
  }

  private async check(deployment: TrackedDeployment, now: Date): Promise<void> {
    const poll = this.config.deploy.pollIntervalMs;
    if (deployment.status === 'timed_out') return this.watchLateConclusion(deployment, now);
    // Approved, but the worker that won the approval died before dispatching: dispatch it now
    // (GitHub was never called for it: the status would be dispatching otherwise).
    if (deployment.status === 'approved') {
      await this.dispatcher.dispatchApproved(deployment);
      return;
    }

    const startedAt = (deployment.dispatchRequestedAt ?? deployment.createdAt).getTime();
    await this.watchdog(deployment, now);
    if (now.getTime() - startedAt >= this.config.deploy.timeoutMs) {
      await this.timeOut(deployment, now);
      return;
    }

    if (!deployment.runId) {
      const run = await this.dispatcher.discoverRun(deployment);
      if (run) {
        const claimed = { ...deployment, runId: run.id, runUrl: run.htmlUrl };
        return this.apply(
          claimed,
          run,
          deployment.status === 'dispatching' ? { dispatchedAt: now } : {},
          {},
        );
      }
      if (deployment.status === 'dispatching' && now.getTime() - startedAt >= DISPATCH_GRACE_MS) {
        const reason = 'GitHub never started a run for this dispatch; it was not re-dispatched';
        await this.transitions.move(deployment.id, 'dispatch_failed', {
          releaseLease: true,
          set: { failureReason: reason },
          note: reason,
        });
        return;
      }
      await this.tracking.releaseCheck(deployment, new Date(now.getTime() + Math.min(poll, 5_000)));
      return;
    }

    const answer = await this.fetchRun(deployment, deployment.runId);
    if (answer.notModified) {
      await this.tracking.releaseCheck(deployment, new Date(now.getTime() + poll));
      return;
    }
    await this.apply(deployment, answer.run, {}, { etag: answer.etag });
  }

  /**
   * Moves the deployment to what the run says, if that is further on. `lease` is set when the
   * caller (the poller) holds the deployment's check lease: it is released with the next check
   * time and the run's ETag. A webhook holds no lease and leaves a poller's alone.
   */
  private async apply(
    deployment: Deployment,
    run: Pick<RunInfo, 'status' | 'conclusion' | 'htmlUrl' | 'updatedAt'>,
    extra: Partial<Deployment> = {},
    lease?: { etag?: string },
  ): Promise<void> {
    const etag = lease?.etag;
    const nextCheckAt = new Date(this.clock.now().getTime() + this.config.deploy.pollIntervalMs);
    const target = statusFromRun(run);
    const completed = run.status === 'completed';
    if (isTerminal(deployment.status)) {
      // A run that ends after the deployment did (a timeout): its real conclusion goes beside it.
      if (completed && !deployment.runConclusion) {
        await this.transitions.recordRunConclusion(
          deployment.id,
          run.conclusion ?? 'unknown',
          new Date(run.updatedAt),
        );
      } else if (lease) {
        await this.tracking.releaseCheck(deployment, null, etag);
      }
      return;
    }
    const set: Partial<Deployment> = { ...extra, runUrl: run.htmlUrl };
    if (completed)
      Object.assign(set, {
        runConclusion: run.conclusion ?? 'unknown',
        runCompletedAt: new Date(run.updatedAt),
      });
    // Only a dispatched deployment follows its run (never one held at a gate or an approval).
    const from: DeploymentStatus[] = statusesBefore(target).filter((status) =>
      ['dispatching', 'dispatched', 'queued', 'in_progress'].includes(status),
    );
    if (!from.includes(deployment.status)) {
      // Already as far as (or further than) this event says: an old or repeated event.
      if (lease) await this.tracking.releaseCheck(deployment, nextCheckAt, etag);
      return;
    }
    const moved = await this.transitions.move(deployment.id, target, {
      from,
      set,
      releaseLease: Boolean(lease),
      tracking: isTerminal(target) ? { etag } : { nextCheckAt, etag },
    });
    if (!moved && lease) await this.tracking.releaseCheck(deployment, nextCheckAt, etag);
  }

  /**
   * Dispatched two minutes ago and still no run, or a run still queued: the requester is told,
   * on the message and by a mention, once.
   */
  private async watchdog(deployment: TrackedDeployment, now: Date): Promise<void> {
    if (deployment.watchdogNotifiedAt || !['dispatched', 'queued'].includes(deployment.status))
      return;
    const since = deployment.dispatchedAt ?? deployment.dispatchRequestedAt;
    if (!since || now.getTime() - new Date(since).getTime() < WATCHDOG_MS) return;
    await this.transitions.noteWatchdog(deployment.id);
  }

  private async timeOut(deployment: TrackedDeployment, now: Date): Promise<void> {
    const minutes = Math.round(this.config.deploy.timeoutMs / 60_000);
    const note = `no completion after ${minutes} min; the run may still be going`;
    const moved = await this.transitions.move(deployment.id, 'timed_out', {
      note,
      releaseLease: true,
    });
    // Keep an eye on the run, to record how it really ended.
    if (moved?.runId) {
      await this.tracking.releaseCheck(
        deployment,
        new Date(now.getTime() + this.config.deploy.pollIntervalMs * LATE_WATCH_FACTOR),
      );
    }
  }

  private async watchLateConclusion(deployment: TrackedDeployment, now: Date): Promise<void> {
    const endedAt = deployment.finishedAt?.getTime() ?? now.getTime();
    if (!deployment.runId || deployment.runConclusion || now.getTime() - endedAt > LATE_WATCH_MS) {
      await this.tracking.releaseCheck(deployment, null);
      return;
    }
    const answer = await this.fetchRun(deployment, deployment.runId);
    if (!answer.notModified && answer.run.status === 'completed')
      return this.apply(deployment, answer.run, {}, { etag: answer.etag });
    const etag = answer.notModified ? undefined : answer.etag;
    await this.tracking.releaseCheck(
      deployment,
      new Date(now.getTime() + this.config.deploy.pollIntervalMs * LATE_WATCH_FACTOR),
      etag,
    );
  }

  /** The run, asked for conditionally on the last ETag (a 304 costs no rate limit). */
  private async fetchRun(deployment: TrackedDeployment, runId: number) {
    // The repository as the deployment recorded it: a service removed meanwhile changes nothing.
    const { owner, repo } = deployment.source ?? (await this.registry.get(deployment.service));
    return this.github.getRun(owner, repo, runId, deployment.etag);
  }
}
