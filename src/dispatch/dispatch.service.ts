import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { Deployment, DeploymentSource, dispatchAskedAt } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTrackingStore } from '../deployments/deployment-tracking.store';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { unheld } from '../github/github-budget';
import { DispatchRequest, GithubClient, RunInfo } from '../github/github.client';
import { GithubDeploymentsService } from '../github-deployments/github-deployments.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TrackingMode, WebhookActivityStore } from '../deployments/webhook-activity.store';
import { LaunchChecks } from './launch-checks';
import { DISPATCH_GRACE_MS, nextRunCheckAt, RUN_DISCOVERY_DELAY_MS } from './run-start';

/**
 * Sends the workflow dispatch for a deployment at most once, and finds its run. GitHub's answer
 * decides: a run (or 204) → `dispatched`; a refusal (4xx) → `dispatch_failed`; no definite
 * answer (a 5xx, a timeout, a reset) → `dispatch_unknown`, the target still busy, while the
 * tracker looks for the run it may have started. Nothing is ever sent again.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger('Dispatch');

  constructor(
    private readonly config: AppConfig,
    private readonly github: GithubClient,
    private readonly registry: ServiceRegistryService,
    private readonly transitions: DeploymentTransitions,
    private readonly history: DeploymentHistory,
    private readonly tracking: DeploymentTrackingStore,
    private readonly githubDeployments: GithubDeploymentsService,
    private readonly webhooks: WebhookActivityStore,
    private readonly checks: LaunchChecks,
    private readonly clock: Clock,
  ) {}

  /**
   * Dispatches a deployment the caller has just recorded as `dispatching`, holding its dispatch
   * lease as `leaseOwner`. What must still hold is checked first (LaunchChecks); the lease is
   * renewed right before the send, and nothing is sent once it is lost (whoever holds it now
   * looks for a run, and finds none).
   */
  async dispatch(deployment: Deployment, leaseOwner: string): Promise<Deployment> {
    let request: DispatchRequest;
    try {
      request = await this.requestOf(deployment);
      const refusal = await this.checks.refusal(deployment, 'dispatch');
      if (refusal) return this.fail(deployment, leaseOwner, `Not dispatched: ${refusal.message}`);
      // GitHub's Deployments page shows it from here on; its failure never stops the dispatch.
      await unheld(() => this.githubDeployments.createBeforeDispatch(deployment));
    } catch (error) {
      return this.fail(deployment, leaseOwner, this.reasonOf(deployment, error));
    }
    const renew = () =>
      this.tracking.renewCheck(deployment.id, leaseOwner, this.clock.now(), LEASE_MS);
    if (!(await renew().catch(() => false))) {
      this.logger.warn(
        `${deployment.id}: its dispatch lease was lost before the send; nothing was sent`,
      );
      return (await this.history.findById(deployment.id)) ?? deployment;
    }
    const sentAt = this.clock.now();
    let result: { runId?: number; runUrl?: string };
    try {
      // Never held by the bot's GitHub budget: held, it could reach GitHub after its lease ran
      // out. The lease is renewed while the request waits for its turn and its answer.
      result = await renewingWhile(renew, () =>
        unheld(() => this.github.dispatchWorkflow(request)),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'GITHUB.OUTCOME_UNKNOWN')
        return this.answerLost(deployment, leaseOwner, sentAt, error.message);
      return this.fail(deployment, leaseOwner, this.reasonOf(deployment, error));
    }
    try {
      return await this.sent(deployment, leaseOwner, sentAt, result, request);
    } catch (error) {
      // GitHub took it: whatever failed here, the deployment stays `dispatching` and the tracker
      // takes it over when the lease ends, finding the run (never dispatching again).
      this.logger.warn(
        `${deployment.id} was dispatched, but recording it failed: ${(error as Error).message}`,
      );
      return deployment;
    }
  }

  /**
   * Dispatches an approved deployment: approved → dispatching first (so a crash from here on is
   * resolved by looking for the run, never by dispatching again), then the dispatch itself. The
   * caller holds the dispatch lease as `leaseOwner` (the approval took it, or the tracker's claim).
   */
  async dispatchApproved(deployment: Deployment, leaseOwner: string): Promise<Deployment> {
    const dispatching = await this.transitions.move(deployment.id, 'dispatching', {
      from: ['approved'],
      set: {
        dispatchRef: await this.dispatchRefOf(deployment),
        dispatchRequestedAt: this.clock.now(),
      },
    });
    if (!dispatching) return (await this.history.findById(deployment.id)) ?? deployment;
    return this.dispatch(dispatching, leaseOwner);
  }

  /**
   * Finds the deployment's run among the workflow's dispatch runs created since it was
   * dispatched (and within DISPATCH_GRACE_MS of it): the earliest one no other deployment has
   * claimed, claimed atomically. When the service passes the deployment id to the workflow
   * (which puts it into its run-name), only a run whose title carries that id is taken; without
   * it, a run whose title names another commit is never taken.
   */
  async discoverRun(deployment: Deployment): Promise<RunInfo | undefined> {
    const source = await this.sourceOf(deployment);
    const since = deployment.dispatchSentAt ?? dispatchAskedAt(deployment);
    const runs = await this.github.listDispatchRuns(
      source.owner,
      source.repo,
      source.workflow,
      await this.dispatchRefOf(deployment),
      since,
    );
    const latest = since.getTime() + DISPATCH_GRACE_MS;
    const byId = Object.values(source.inputs).includes(deployment.id)
      ? new RegExp(`(^|[^0-9a-z-])${deployment.id}($|[^0-9a-z-])`)
      : undefined;
    const candidates = runs.filter(
      (run) =>
        Date.parse(run.createdAt) <= latest &&
        (byId
          ? byId.test(run.displayTitle)
          : !namesAnotherCommit(run.displayTitle, deployment.sha)),
    );
    const taken = await this.tracking.claimedRunIds(candidates.map((run) => run.id));
    for (const run of candidates) {
      if (taken.has(run.id)) continue;
      // The tracker moves it along with the run next.
      if (await this.transitions.linkRun(deployment.id, run.id, run.htmlUrl, { thenMoved: true }))
        return run;
    }
    return undefined;
  }

  /** GitHub took the dispatch: the run it named is followed; one it did not name is looked for. */
  private async sent(
    deployment: Deployment,
    leaseOwner: string,
    sentAt: Date,
    result: { runId?: number; runUrl?: string },
    request: DispatchRequest,
  ): Promise<Deployment> {
    const now = this.clock.now();
    const linked =
      result.runId !== undefined &&
      (await this.transitions.linkRun(deployment.id, result.runId, result.runUrl ?? '', {
        thenMoved: true,
      }));
    // A run GitHub named is followed like any other (its repository's webhooks may make the
    // first look a backstop); one it did not name is looked for soon.
    const nextCheckAt = linked
      ? nextRunCheckAt(
          { ...deployment, status: 'dispatched', dispatchedAt: now },
          now,
          await this.modeOf(request, now),
          this.config.deploy,
        )
      : new Date(now.getTime() + RUN_DISCOVERY_DELAY_MS);
    const moved = await this.transitions.move(deployment.id, 'dispatched', {
      from: ['dispatching'],
      releaseLease: leaseOwner,
      set: { dispatchedAt: now, dispatchSentAt: sentAt },
      tracking: { nextCheckAt },
    });
    return moved ?? (await this.history.findById(deployment.id)) ?? deployment;
  }

  /**
   * No definite answer: GitHub may have started a run. The target stays busy (`dispatch_unknown`)
   * while the tracker looks for it, from the moment of the send, for DISPATCH_GRACE_MS.
   */
  private async answerLost(
    deployment: Deployment,
    leaseOwner: string,
    sentAt: Date,
    why: string,
  ): Promise<Deployment> {
    this.logger.warn(`${deployment.id}: ${why}; looking for its run`);
    const moved = await this.transitions.move(deployment.id, 'dispatch_unknown', {
      from: ['dispatching'],
      releaseLease: leaseOwner,
      set: { dispatchSentAt: sentAt },
      note: `${why}; looking for its run`,
      tracking: { nextCheckAt: new Date(this.clock.now().getTime() + RUN_DISCOVERY_DELAY_MS) },
    });
    return moved ?? (await this.history.findById(deployment.id)) ?? deployment;
  }

  /** Nothing was sent, or GitHub refused it: `dispatch_failed`, the target free again. */
  private async fail(deployment: Deployment, leaseOwner: string, reason: string) {
    const moved = await this.transitions.move(deployment.id, 'dispatch_failed', {
      from: ['dispatching'],
      releaseLease: leaseOwner,
      set: { failureReason: reason },
      note: reason,
    });
    return moved ?? (await this.history.findById(deployment.id)) ?? deployment;
  }

  private reasonOf(deployment: Deployment, error: unknown): string {
    if (error instanceof AppError) return error.message;
    this.logger.error(`Dispatch of ${deployment.id} failed: ${(error as Error).message}`);
    return 'the dispatch failed unexpectedly';
  }

  /** How the source's repository is followed; `polling` when MongoDB cannot say. */
  private async modeOf(
    source: Pick<DeploymentSource, 'owner' | 'repo'>,
    now: Date,
  ): Promise<TrackingMode> {
    // Past the dispatch: nothing here may turn it into a failure.
    const known = await this.webhooks
      .modeOf(`${source.owner}/${source.repo}`, now)
      .catch(() => undefined);
    return known?.mode ?? 'polling';
  }

  /** What the dispatch sends: the deployment's workflow and inputs, on its branch. */
  private async requestOf(deployment: Deployment): Promise<DispatchRequest> {
    const source = await this.sourceOf(deployment);
    return {
      owner: source.owner,
      repo: source.repo,
      workflow: source.workflow,
      ref: await this.dispatchRefOf(deployment),
      inputs: source.inputs,
    };
  }

  /** What the workflow is dispatched with: kept on the deployment, or (older records) the service's. */
  private async sourceOf(deployment: Deployment): Promise<DeploymentSource> {
    if (deployment.source) return deployment.source;
    const service = await this.registry.get(deployment.service);
    const inputs = {
      [service.environmentInput]: deployment.environment,
      [service.shaInput]: deployment.sha,
    };
    return { owner: service.owner, repo: service.repo, workflow: service.workflow, inputs };
  }

  private async dispatchRefOf(deployment: Deployment): Promise<string> {
    return deployment.dispatchRef ?? (await this.registry.get(deployment.service)).defaultRef;
  }
}

/**
 * A run title that names a commit (7 to 40 hex digits with a letter among them, as a `run-name`
 * showing the SHA input would; a date or a number is no commit) other than `sha`: someone else's
 * dispatch, never this deployment's run.
 */
function namesAnotherCommit(title: string, sha: string): boolean {
  const named = (title.toLowerCase().match(/\b[0-9a-f]{7,40}\b/g) ?? []).filter((word) =>
    /[a-f]/.test(word),
  );
  return named.length > 0 && !named.some((candidate) => sha.toLowerCase().startsWith(candidate));
}
