import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import {
  Deployment,
  DeploymentStatus,
  dispatchAskedAt,
  isTerminal,
  statusesBefore,
} from '../deployments/deployment';
import {
  DeliveryOrigin,
  DeploymentTrackingStore,
  RUN_FOLLOWING_STATUSES,
  TrackedDeployment,
} from '../deployments/deployment-tracking.store';
import {
  TrackingMode,
  trackingMode,
  WebhookActivityStore,
} from '../deployments/webhook-activity.store';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { DispatchService } from '../dispatch/dispatch.service';
import {
  DISPATCH_GRACE_MS,
  inMinutes,
  nextRunCheckAt,
  pollEveryMs,
  WATCHDOG_MS,
} from '../dispatch/run-start';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { ListedRun, RunListingStore } from './run-listing.store';
import { statusFromRun } from './run-status';
/** After a timeout the run is still watched, less often, for its real conclusion. */
const LATE_WATCH_FACTOR = 6;
const LATE_WATCH_MS = 24 * 3_600_000;
/**
 * A workflow's runs are listed from this long before its oldest deployment asked for its
 * dispatch: GitHub's clock and the bot's may differ (a run missing from the page is asked for
 * on its own).
 */
const LISTING_SLACK_MS = 60_000;

/**
 * Moves deployments along with their runs: from webhooks and from polling, in any order, never
 * backwards. Shared by the webhook controller and the poller.
 */
@Injectable()
export class RunTrackerService {
  private readonly logger = new Logger('Tracking');
  private claiming: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly dispatcher: DispatchService,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly clock: Clock,
    private readonly instance: Instance,
    private readonly webhooks: WebhookActivityStore,
    private readonly listings: RunListingStore,
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
    // A fresh event says the repository's webhooks arrive (the next look is a backstop); one
    // dated long ago (a replay) says nothing of the kind.
    const now = this.clock.now().getTime();
    const eventAt = new Date(Math.min(Date.parse(run.updatedAt) || 0, now));
    try {
      await this.apply(recorded, run, {}, trackingMode(eventAt, new Date(now)));
    } catch (error) {
      // Not applied: a redelivery of the same id must be processed, not recognised; GitHub
      // does not redeliver by itself, so a poll looks at the run soon.
      await this.tracking.forgetDelivery(recorded.id, deliveryId).catch(() => undefined);
      const soon = new Date(this.clock.now().getTime() + this.config.deploy.pollIntervalMs);
      await this.tracking.checkBy(recorded.id, soon).catch(() => undefined);
      throw error;
    }
    return 'accepted';
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
    const source = deployment.source ?? (await this.registry.get(deployment.service));
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
   * `from`: when the check that sets it began (a poll's next look counts from its start, so a
   * slow answer never stretches the interval), else now.
   */
  private nextCheckOf(deployment: Deployment, mode: TrackingMode, from?: Date): Date {
    return nextRunCheckAt(deployment, from ?? this.clock.now(), mode, this.config.deploy);
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
      if (this.isPastTimeout(deployment, now)) await this.timeOut(deployment, now);
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
        if (run) await this.apply(deployment, run, {}, mode, { from: now, owner });
        else {
          const answer = await this.fetchRun(deployment, deployment.runId!);
          if (answer.notModified)
            await this.tracking.releaseCheck(deployment, this.nextCheckOf(deployment, mode, now));
          else
            await this.apply(deployment, answer.run, {}, mode, {
              etag: answer.etag,
              from: now,
              owner,
            });
        }
        // After what GitHub said: a run that started meanwhile tells no one it has not.
        await this.watchdog(deployment, now);
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

  private async check(deployment: TrackedDeployment, now: Date): Promise<void> {
    const poll = this.config.deploy.pollIntervalMs;
    if (deployment.status === 'timed_out') return this.watchLateConclusion(deployment, now);
    // Approved, but the worker that won the approval died before dispatching: dispatch it now
    // (GitHub was never called for it: the status would be dispatching otherwise).
    if (deployment.status === 'approved') {
      await this.dispatcher.dispatchApproved(deployment, deployment.leaseOwner!);
      return;
    }

    const startedAt = dispatchAskedAt(deployment).getTime();
    await this.watchdog(deployment, now);
    if (this.isPastTimeout(deployment, now)) {
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
          ['dispatching', 'dispatch_unknown'].includes(deployment.status)
            ? { dispatchedAt: now }
            : {},
          await this.modeOf(deployment, now),
          { from: now, owner: deployment.leaseOwner },
        );
      }
      const lookingSince = deployment.dispatchSentAt?.getTime() ?? startedAt;
      const unsure =
        deployment.status === 'dispatching' || deployment.status === 'dispatch_unknown';
      if (unsure && now.getTime() - lookingSince >= DISPATCH_GRACE_MS) {
        const reason = this.noRunReason(deployment);
        await this.transitions.move(deployment.id, 'dispatch_failed', {
          from: ['dispatching', 'dispatch_unknown'],
          releaseLease: deployment.leaseOwner,
          set: { failureReason: reason },
          note: reason,
        });
        return;
      }
      await this.tracking.releaseCheck(deployment, new Date(now.getTime() + Math.min(poll, 5_000)));
      return;
    }

    // Older records without their source: the run on its own.
    const mode = await this.modeOf(deployment, now);
    const answer = await this.fetchRun(deployment, deployment.runId);
    if (answer.notModified) {
      await this.tracking.releaseCheck(deployment, this.nextCheckOf(deployment, mode, now));
      return;
    }
    await this.apply(deployment, answer.run, {}, mode, {
      etag: answer.etag,
      from: now,
      owner: deployment.leaseOwner,
    });
  }

  /**
   * Why a dispatch whose run never appeared failed, in plain words: nothing was sent again either
   * way; when GitHub's answer was lost, what to check before deploying again.
   */
  private noRunReason(deployment: TrackedDeployment): string {
    const minutes = inMinutes(DISPATCH_GRACE_MS);
    if (deployment.status !== 'dispatch_unknown')
      return 'GitHub never started a run for this dispatch; it was not re-dispatched';
    const workflow = deployment.source?.workflow ?? 'the workflow';
    return `GitHub's answer to the dispatch was lost, and no run of ${workflow} appeared within ${minutes} of it. Nothing was sent again: look at the workflow's runs on GitHub before deploying again`;
  }

  /**
   * Moves the deployment to what the run says, if that is further on. `lease` is set when the
   * caller (the poller) holds the deployment's check lease (as `owner`): it is released with the
   * next check time (by `mode`) and the run's ETag. A webhook holds no lease and leaves a
   * poller's alone.
   */
  private async apply(
    deployment: Deployment,
    run: Pick<RunInfo, 'status' | 'conclusion' | 'htmlUrl' | 'updatedAt'>,
    extra: Partial<Deployment>,
    mode: TrackingMode,
    lease?: { etag?: string; from?: Date; owner?: string },
  ): Promise<void> {
    const etag = lease?.etag;
    const target = statusFromRun(run);
    const nextCheckAt = this.nextCheckOf({ ...deployment, status: target }, mode, lease?.from);
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
        await this.tracking.releaseCheck(
          { id: deployment.id, leaseOwner: lease.owner },
          null,
          etag,
        );
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
      ['dispatching', 'dispatch_unknown', 'dispatched', 'queued', 'in_progress'].includes(status),
    );
    // A change since the check claimed it (a webhook) set its next check from newer knowledge.
    const held = {
      id: deployment.id,
      leaseOwner: lease?.owner,
      claimedVersion: (deployment as TrackedDeployment).claimedVersion,
    };
    if (!from.includes(deployment.status)) {
      // Already as far as (or further than) this event says: an old or repeated event.
      if (lease)
        await this.tracking.releaseCheck(
          held,
          this.nextCheckOf(deployment, mode, lease.from),
          etag,
        );
      return;
    }
    const moved = await this.transitions.move(deployment.id, target, {
      from,
      set,
      releaseLease: lease?.owner,
      tracking: isTerminal(target) ? { etag } : { nextCheckAt, etag },
    });
    if (!moved && lease) await this.tracking.releaseCheck(held, nextCheckAt, etag);
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

  private isPastTimeout(deployment: Deployment, now: Date): boolean {
    return now.getTime() - dispatchAskedAt(deployment).getTime() >= this.config.deploy.timeoutMs;
  }

  private async timeOut(deployment: TrackedDeployment, now: Date): Promise<void> {
    const minutes = Math.round(this.config.deploy.timeoutMs / 60_000);
    const note = `no completion after ${minutes} min; the run may still be going`;
    const moved = await this.transitions.move(deployment.id, 'timed_out', {
      note,
      releaseLease: deployment.leaseOwner,
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
      return this.apply(deployment, answer.run, {}, 'polling', {
        etag: answer.etag,
        owner: deployment.leaseOwner,
      });
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

/** A deployment whose run is known and can still move it: refreshed with its workflow's others. */
function followsRun(deployment: TrackedDeployment): boolean {
  return (
    deployment.runId !== undefined &&
    deployment.source !== undefined &&
    RUN_FOLLOWING_STATUSES.includes(deployment.status)
  );
}
