import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { Deployment, dispatchAskedAt } from '../deployments/deployment';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { GithubClient } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { RunDeadlines } from './run-deadlines';
import { RunDiscovery } from './run-discovery';
import { ListedRun, RunListingStore } from './run-listing.store';
import { RunHolders } from './run-holders';
import { RunProgress, RunReport } from './run-progress';
import { statusFromRun } from './run-status';
import { LISTING_SLACK_MS, pollEveryMs, TrackingMode, trackingMode } from './run-schedule';
import {
  DeliveryOrigin,
  DeploymentTrackingStore,
  RUN_FOLLOWING_STATUSES,
  TrackedDeployment,
} from './tracking.store';
import { WebhookActivityStore } from './webhook-activity.store';

/**
 * Moves deployments along with their runs: from webhooks and from polling, in any order, never
 * backwards. Shared by the webhook controller and the poller.
 */
@Injectable()
export class RunTrackerService {
  private readonly logger = new Logger('Tracking');
  private claiming: Promise<unknown> = Promise.resolve();
  private readonly holders = new RunHolders();

  private readonly progress: RunProgress;
  private readonly discovery: RunDiscovery;
  private readonly deadlines: RunDeadlines;

  constructor(
    private readonly config: AppConfig,
    transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly clock: Clock,
    private readonly instance: Instance,
    private readonly webhooks: WebhookActivityStore,
    private readonly listings: RunListingStore,
  ) {
    this.progress = new RunProgress(config, transitions, tracking, () => clock.now());
    this.discovery = new RunDiscovery(
      config.deploy.pollIntervalMs,
      github,
      registry,
      transitions,
      tracking,
      this.progress,
      (deployment, now) => this.modeOf(deployment, now),
    );
    this.deadlines = new RunDeadlines(
      config,
      github,
      registry,
      transitions,
      tracking,
      this.progress,
    );
  }

  /**
   * Applies one webhook delivery about a run, when it comes from the deployment's repository
   * and workflow. The delivery is taken as applied by inserting its id (so a redelivery, or the
   * same delivery at another instance, is recognised) before the status moves on, which it does
   * only when the event takes it further. A delivery this instance knows can move nothing (see
   * RunHolders) is only taken: one insert, the deployment is not read.
   */
  async applyDelivery(
    runId: number,
    deliveryId: string,
    run: RunReport,
    origin: DeliveryOrigin,
  ): Promise<'accepted' | 'duplicate' | 'ignored'> {
    const now = this.clock.now();
    const target = statusFromRun(run);
    const attempt = run.runAttempt ?? 1;
    if (this.holders.nothingToMove(runId, attempt, origin, target))
      return (await this.tracking.claimDelivery(deliveryId, runId, now)) ? 'accepted' : 'duplicate';
    const holder = await this.tracking.runHolder(runId, origin);
    if (!holder) return 'ignored';
    const claimed = await this.tracking
      .claimDelivery(deliveryId, runId, now)
      .catch(async (error) => {
        // Not taken, so not applied: a poll looks at the run soon (GitHub does not redeliver).
        await this.pollSoon(holder.id);
        throw error;
      });
    if (!claimed) return 'duplicate';
    this.holders.remember(runId, attempt, origin, holder);
    // A fresh event says the repository's webhooks arrive (the next look is a backstop); one
    // dated long ago (a replay) says nothing of the kind.
    const eventAt = new Date(Math.min(Date.parse(run.updatedAt) || 0, now.getTime()));
    try {
      if (await this.progress.apply(holder, run, {}, trackingMode(eventAt, now)))
        this.holders.reached(runId, target);
    } catch (error) {
      // Not applied: a redelivery of the same id must be processed, not recognised; GitHub
      // does not redeliver by itself, so a poll looks at the run soon.
      await this.tracking.forgetDelivery(deliveryId).catch(() => undefined);
      await this.pollSoon(holder.id);
      throw error;
    }
    return 'accepted';
  }

  /** Brings the deployment's next poll forward to one interval from now (if the database lets). */
  private async pollSoon(id: string): Promise<void> {
    const soon = new Date(this.clock.now().getTime() + this.config.deploy.pollIntervalMs);
    await this.tracking.checkBy(id, soon).catch(() => undefined);
  }

  /**
   * One due check (a poll): claims the deployment (of all instances, one worker at a time holds
   * it, renewing its lease while it works), looks at GitHub, releases it. A deployment following
   * its run takes along the others of the same workflow due within the interval: one listing of
   * the workflow's runs serves them all.
   */
  async checkNextDue(): Promise<boolean> {
    const now = this.clock.now();
    const owner = this.instance.leaseOwner();
    const claimed = await this.claimInTurn(() => this.claimDue(now, owner));
    if (!claimed) return false;
    const { group, mode } = claimed;
    const ids = group.map((member) => member.id);
    try {
      await renewingWhile(
        () => this.tracking.renewChecks(ids, owner, this.clock.now(), LEASE_MS),
        () => (mode ? this.refreshRuns(group, now, mode) : this.check(group[0], now)),
      );
    } catch (error) {
      const reason = error instanceof AppError ? error.message : (error as Error).message;
      this.logger.warn(`Checking ${ids.join(', ')} failed: ${reason}`);
      const retryAt = new Date(now.getTime() + this.config.deploy.pollIntervalMs);
      for (const member of group) await this.tracking.releaseCheck(member, retryAt);
    }
    return true;
  }

  /**
   * The most overdue check, and with a deployment following its run the others of its workflow
   * due within the interval (and the mode that interval comes from).
   */
  private async claimDue(
    now: Date,
    owner: string,
  ): Promise<{ group: TrackedDeployment[]; mode?: TrackingMode } | null> {
    const deployment = await this.tracking.claimDueCheck(now, LEASE_MS, owner);
    if (!deployment) return null;
    if (!followsRun(deployment)) return { group: [deployment] };
    try {
      const mode = await this.modeOf(deployment, now);
      const dueBy = new Date(now.getTime() + pollEveryMs(mode, this.config.deploy));
      const companions = await this.tracking.claimCompanions(
        deployment,
        dueBy,
        now,
        LEASE_MS,
        owner,
      );
      return { group: [deployment, ...companions], mode };
    } catch (error) {
      // Claimed, so given back: checked again a poll later.
      await this.tracking
        .releaseCheck(deployment, new Date(now.getTime() + this.config.deploy.pollIntervalMs))
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * This instance's workers claim one after another (and then work side by side): two of them
   * never split one workflow's runs between two listings.
   */
  private claimInTurn<T>(claim: () => Promise<T>): Promise<T> {
    const turn = this.claiming.then(claim);
    this.claiming = turn.catch(() => undefined);
    return turn;
  }

  /** How the deployment's repository is followed now (webhooks seen lately, or not). */
  async modeOf(deployment: Deployment, now = this.clock.now()): Promise<TrackingMode> {
    const source = await this.registry.sourceOf(deployment);
    return (await this.webhooks.modeOf(`${source.owner}/${source.repo}`, now)).mode;
  }

  /** How each repository with deployments in flight is followed now, by repository. */
  async modes(now = this.clock.now()): Promise<Map<string, TrackingMode>> {
    const repositories = await this.tracking.trackedRepositories();
    const last = await this.webhooks.lastDeliveries(repositories);
    return new Map(
      repositories.map((repository) => [repository, trackingMode(last.get(repository), now)]),
    );
  }

  /**
   * Refreshes runs of one repository and workflow: the timeout first, then one conditional
   * listing of the workflow's recent runs (a run the listing does not hold is asked for on its
   * own), then the watchdog for runs still not started.
   */
  private async refreshRuns(
    group: TrackedDeployment[],
    now: Date,
    mode: TrackingMode,
  ): Promise<void> {
    const following: TrackedDeployment[] = [];
    for (const deployment of group) {
      if (this.deadlines.isPastTimeout(deployment, now))
        await this.deadlines.timeOut(deployment, now);
      else following.push(deployment);
    }
    if (!following.length) return;
    const listed = await this.listRuns(following, now).catch((error: Error) => {
      // Each run is then asked for on its own: a workflow GitHub no longer lists stops no run.
      this.logger.warn(
        `Listing the runs of ${following[0].id}'s workflow failed: ${error.message}`,
      );
      return new Map<number, ListedRun>();
    });
    for (const deployment of following) {
      try {
        const run = listed.get(deployment.runId!);
        const owner = deployment.leaseOwner;
        if (run) await this.progress.apply(deployment, run, {}, mode, { from: now, owner });
        else await this.fetchAndApply(deployment, mode, now);
        // After what GitHub said: a run that started meanwhile tells no one it has not.
        await this.deadlines.watchdog(deployment, now);
      } catch (error) {
        // One run GitHub cannot answer for (deleted, an error) holds up none of the others.
        const reason = error instanceof AppError ? error.message : (error as Error).message;
        this.logger.warn(`Checking ${deployment.id} failed: ${reason}`);
        const retryAt = new Date(now.getTime() + this.config.deploy.pollIntervalMs);
        await this.tracking.releaseCheck(deployment, retryAt);
      }
    }
  }

  /**
   * The workflow's dispatch runs since the oldest of `deployments` asked for its dispatch, by
   * id: one request, conditional on the ETag of the same query last time (a 304 stands for the
   * runs that listing held).
   */
  private async listRuns(
    deployments: TrackedDeployment[],
    now: Date,
  ): Promise<Map<number, ListedRun>> {
    const { owner, repo, workflow } = deployments[0].source!;
    const oldest = Math.min(...deployments.map((d) => dispatchAskedAt(d).getTime()));
    const since = new Date(Math.floor((oldest - LISTING_SLACK_MS) / 1000) * 1000);
    const key = `${owner}/${repo}|${workflow}`.toLowerCase();
    const query = since.toISOString();
    const last = await this.listings.last(key, query);
    const answer = await this.github.listRecentRuns(owner, repo, workflow, since, last?.etag);
    let runs: ListedRun[];
    if (answer.notModified) runs = last?.runs ?? [];
    else {
      runs = answer.runs;
      if (answer.etag) await this.listings.save(key, query, answer.etag, runs, now);
    }
    return new Map(runs.map((run) => [run.id, run]));
  }

  /** A deployment checked on its own: a run to find, a deadline, or an older record's run. */
  private async check(deployment: TrackedDeployment, now: Date): Promise<void> {
    if (deployment.status === 'timed_out')
      return this.deadlines.watchLateConclusion(deployment, now);
    await this.deadlines.watchdog(deployment, now);
    if (this.deadlines.isPastTimeout(deployment, now))
      return this.deadlines.timeOut(deployment, now);
    if (!deployment.runId) return this.discovery.look(deployment, now);
    // Older records without their source: the run on its own.
    await this.fetchAndApply(deployment, await this.modeOf(deployment, now), now);
  }

  /** The run asked for on its own, conditionally: a 304 means a later look. */
  private async fetchAndApply(deployment: TrackedDeployment, mode: TrackingMode, now: Date) {
    const answer = await this.deadlines.fetchRun(deployment, deployment.runId!);
    if (answer.notModified)
      return this.tracking.releaseCheck(
        deployment,
        this.progress.nextCheckOf(deployment, mode, now),
      );
    await this.progress.apply(deployment, answer.run, {}, mode, {
      etag: answer.etag,
      from: now,
      owner: deployment.leaseOwner,
    });
  }
}

/** A deployment whose run is known and can still move it: refreshed with its workflow's others. */
function followsRun(deployment: TrackedDeployment): boolean {
  return (
    deployment.runId !== undefined &&
    deployment.source !== undefined &&
    RUN_FOLLOWING_STATUSES.includes(deployment.status)
  );
}
