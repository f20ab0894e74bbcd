import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { Deployment, DeploymentSource, dispatchAskedAt } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTrackingStore } from '../deployments/deployment-tracking.store';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { unheld } from '../github/github-budget';
import { GithubClient, RunInfo } from '../github/github.client';
import { GithubDeploymentsService } from '../github-deployments/github-deployments.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TrackingMode, WebhookActivityStore } from '../deployments/webhook-activity.store';
import { DISPATCH_GRACE_MS, nextRunCheckAt, RUN_DISCOVERY_DELAY_MS } from './run-start';

/** Sends the workflow dispatch for a deployment, exactly once, and finds its run. */
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
    private readonly clock: Clock,
  ) {}

  /**
   * Dispatches a deployment the caller has just recorded as `dispatching` (and so holds its
   * check lease, given up with the move that follows). Any failure becomes `dispatch_failed`
   * with GitHub's reason in plain words.
   */
  async dispatch(deployment: Deployment): Promise<Deployment> {
    return unheld(() => this.dispatchNow(deployment));
  }

  private async dispatchNow(deployment: Deployment): Promise<Deployment> {
    try {
      const source = await this.sourceOf(deployment);
      // GitHub's Deployments page shows it from here on; its failure never stops the dispatch.
      await this.githubDeployments.createBeforeDispatch(deployment);
      const result = await this.github.dispatchWorkflow({
        owner: source.owner,
        repo: source.repo,
        workflow: source.workflow,
        ref: await this.dispatchRefOf(deployment),
        inputs: source.inputs,
      });
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
            await this.modeOf(source, now),
            this.config.deploy,
          )
        : new Date(now.getTime() + RUN_DISCOVERY_DELAY_MS);
      return this.finishDispatch(deployment, 'dispatched', {
        set: { dispatchedAt: now },
        tracking: { nextCheckAt },
      });
    } catch (error) {
      const reason = error instanceof AppError ? error.message : 'the dispatch failed unexpectedly';
      if (!(error instanceof AppError))
        this.logger.error(`Dispatch of ${deployment.id} failed: ${(error as Error).message}`);
      return this.finishDispatch(deployment, 'dispatch_failed', {
        set: { failureReason: reason },
        note: reason,
      });
    }
  }

  /**
   * Dispatches an approved deployment: approved → dispatching first (so a crash from here on is
   * resolved by looking for the run, never by dispatching again), then the dispatch itself. The
   * caller holds the check lease (the approval took it, or the tracker's claim did).
   */
  async dispatchApproved(deployment: Deployment): Promise<Deployment> {
    const dispatching = await this.transitions.move(deployment.id, 'dispatching', {
      from: ['approved'],
      set: {
        dispatchRef: await this.dispatchRefOf(deployment),
        dispatchRequestedAt: this.clock.now(),
      },
    });
    if (!dispatching) return (await this.history.findById(deployment.id)) ?? deployment;
    return this.dispatch(dispatching);
  }

  /**
   * Finds the deployment's run among the workflow's dispatch runs created since it was
   * dispatched (and within DISPATCH_GRACE_MS of it): the earliest one no other deployment has
   * claimed, claimed atomically. When the service passes the deployment id to the workflow
   * (which puts it into its run-name), only a run whose title carries that id is taken.
   */
  async discoverRun(deployment: Deployment): Promise<RunInfo | undefined> {
    const source = await this.sourceOf(deployment);
    const since = dispatchAskedAt(deployment);
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
      (run) => Date.parse(run.createdAt) <= latest && (!byId || byId.test(run.displayTitle)),
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

  /** How the source's repository is followed; `polling` when MongoDB cannot say. */
  private async modeOf(source: DeploymentSource, now: Date): Promise<TrackingMode> {
    // Past the dispatch: nothing here may turn it into a failure.
    const known = await this.webhooks
      .modeOf(`${source.owner}/${source.repo}`, now)
      .catch(() => undefined);
    return known?.mode ?? 'polling';
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

  /** dispatching → its outcome, giving up the check lease the dispatcher held. */
  private async finishDispatch(
    deployment: Deployment,
    to: 'dispatched' | 'dispatch_failed',
    options: Parameters<DeploymentTransitions['move']>[2],
  ): Promise<Deployment> {
    const moved = await this.transitions.move(deployment.id, to, {
      from: ['dispatching'],
      releaseLease: true,
      ...options,
    });
    return moved ?? (await this.history.findById(deployment.id)) ?? deployment;
  }
}
