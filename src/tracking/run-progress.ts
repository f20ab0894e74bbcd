import { AppConfig } from '../config/app-config';
import {
  Deployment,
  DeploymentStatus,
  isTerminal,
  statusesBefore,
} from '../deployments/deployment';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import type { RunInfo } from '../github/github.client';
import { nextRunCheckAt, TrackingMode } from './run-schedule';
import { statusFromRun } from './run-status';
import { DeliveryHolder, DeploymentTrackingStore } from './tracking.store';

/** A run as far as moving its deployment goes. */
export type RunReport = Pick<
  RunInfo,
  'status' | 'conclusion' | 'htmlUrl' | 'updatedAt' | 'runAttempt'
>;

/** The check lease a poll holds while it applies what it learnt (a webhook holds none). */
export interface HeldCheck {
  /** The run's ETag, kept for the next conditional request. */
  etag?: string;
  /** When the check began: the next look counts from there. */
  from?: Date;
  /** The lease's owner, which only it may give back. */
  owner?: string;
}

/** Deployments statuses a run may move (never one held at a gate or an approval). */
const FOLLOWING: DeploymentStatus[] = [
  'dispatching',
  'dispatch_unknown',
  'dispatched',
  'queued',
  'in_progress',
];

/**
 * Moves a deployment to what its run says, when that is further on: never backwards, whatever
 * order webhooks and polls arrive in. Shared by the webhook path, the poll and discovery.
 */
export class RunProgress {
  constructor(
    private readonly config: AppConfig,
    private readonly transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly now: () => Date,
  ) {}

  /** When `deployment` is looked at next in `mode`, counting from `from` (or now). */
  nextCheckOf(deployment: DeliveryHolder, mode: TrackingMode, from?: Date): Date {
    return nextRunCheckAt(deployment, from ?? this.now(), mode, this.config.deploy);
  }

  /**
   * Applies `run` to `deployment`. With `lease` (a poll holds the check lease), the lease is
   * released with the next check time (by `mode`) and the run's ETag; a webhook leaves a
   * poller's lease alone. True when this moved the deployment to the run's status.
   */
  async apply(
    deployment: DeliveryHolder & { claimedVersion?: number },
    run: RunReport,
    extra: Partial<Deployment>,
    mode: TrackingMode,
    lease?: HeldCheck,
  ): Promise<boolean> {
    const etag = lease?.etag;
    const target = statusFromRun(run);
    const nextCheckAt = this.nextCheckOf({ ...deployment, status: target }, mode, lease?.from);
    const completed = run.status === 'completed';
    // A change since the check claimed it (a webhook) set its next check from newer knowledge.
    const held = {
      id: deployment.id,
      leaseOwner: lease?.owner,
      claimedVersion: deployment.claimedVersion,
    };
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
      return false;
    }
    const set: Partial<Deployment> = { ...extra, runUrl: run.htmlUrl };
    if (completed)
      Object.assign(set, {
        runConclusion: run.conclusion ?? 'unknown',
        runCompletedAt: new Date(run.updatedAt),
      });
    const from = statusesBefore(target).filter((status) => FOLLOWING.includes(status));
    if (!from.includes(deployment.status)) {
      // Already as far as (or further than) this event says: an old or repeated event.
      if (lease)
        await this.tracking.releaseCheck(
          held,
          this.nextCheckOf(deployment, mode, lease.from),
          etag,
        );
      return false;
    }
    const moved = await this.transitions.move(deployment.id, target, {
      from,
      set,
      releaseLease: lease?.owner,
      tracking: isTerminal(target) ? { etag } : { nextCheckAt, etag },
    });
    if (!moved && lease) await this.tracking.releaseCheck(held, nextCheckAt, etag);
    return Boolean(moved);
  }
}
