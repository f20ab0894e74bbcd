import { AppConfig } from '../config/app-config';
import { Deployment, dispatchAskedAt } from '../deployments/deployment';
import { WATCHDOG_MS } from '../deployments/deadlines';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { GithubClient } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { RunProgress } from './run-progress';
import { LATE_WATCH_FACTOR, LATE_WATCH_MS } from './run-schedule';
import { DeploymentTrackingStore, TrackedDeployment } from './tracking.store';

/**
 * What the tracker does when a run is late: the watchdog's notice to the requester when GitHub
 * has not started it after WATCHDOG_MS, the timeout after DEPLOY_TIMEOUT_MS, and after a timeout
 * a slower watch for the run's real conclusion.
 */
export class RunDeadlines {
  constructor(
    private readonly config: AppConfig,
    private readonly github: GithubClient,
    private readonly registry: ServiceRegistryService,
    private readonly transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly progress: RunProgress,
  ) {}

  /**
   * Dispatched two minutes ago and still no run, or a run still queued: the requester is told,
   * on the message and by a mention, once.
   */
  async watchdog(deployment: TrackedDeployment, now: Date): Promise<void> {
    if (deployment.watchdogNotifiedAt || !['dispatched', 'queued'].includes(deployment.status))
      return;
    const since = deployment.dispatchedAt ?? deployment.dispatchRequestedAt;
    if (!since || now.getTime() - new Date(since).getTime() < WATCHDOG_MS) return;
    await this.transitions.noteWatchdog(deployment.id);
  }

  isPastTimeout(deployment: Deployment, now: Date): boolean {
    return now.getTime() - dispatchAskedAt(deployment).getTime() >= this.config.deploy.timeoutMs;
  }

  async timeOut(deployment: TrackedDeployment, now: Date): Promise<void> {
    const minutes = Math.round(this.config.deploy.timeoutMs / 60_000);
    const note = `no completion after ${minutes} min; the run may still be going`;
    const moved = await this.transitions.move(deployment.id, 'timed_out', {
      note,
      releaseLease: deployment.leaseOwner,
    });
    // Keep an eye on the run, to record how it really ended.
    if (moved?.runId) await this.tracking.releaseCheck(deployment, this.lateWatchAt(now));
  }

  /** After a timeout: the run's conclusion, when it comes, is recorded beside it. */
  async watchLateConclusion(deployment: TrackedDeployment, now: Date): Promise<void> {
    const endedAt = deployment.finishedAt?.getTime() ?? now.getTime();
    if (!deployment.runId || deployment.runConclusion || now.getTime() - endedAt > LATE_WATCH_MS) {
      await this.tracking.releaseCheck(deployment, null);
      return;
    }
    const answer = await this.fetchRun(deployment, deployment.runId);
    if (!answer.notModified && answer.run.status === 'completed') {
      await this.progress.apply(deployment, answer.run, {}, 'polling', {
        etag: answer.etag,
        owner: deployment.leaseOwner,
      });
      return;
    }
    const etag = answer.notModified ? undefined : answer.etag;
    await this.tracking.releaseCheck(deployment, this.lateWatchAt(now), etag);
  }

  /** The run, asked for conditionally on the last ETag (a 304 costs no rate limit). */
  async fetchRun(deployment: TrackedDeployment, runId: number) {
    // The repository as the deployment recorded it: a service removed meanwhile changes nothing.
    const { owner, repo } = await this.registry.sourceOf(deployment);
    return this.github.getRun(owner, repo, runId, deployment.etag);
  }

  private lateWatchAt(now: Date): Date {
    return new Date(now.getTime() + this.config.deploy.pollIntervalMs * LATE_WATCH_FACTOR);
  }
}
