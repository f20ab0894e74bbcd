import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { Deployment, DeploymentSource } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';

/** First look for a run GitHub did not name (204): soon, since GitHub starts runs within seconds. */
export const RUN_DISCOVERY_DELAY_MS = 1_000;
/**
 * A dispatch's run appears within this long, or not at all: a run created later belongs to a
 * later dispatch, so an old deployment never takes it.
 */
export const DISPATCH_GRACE_MS = 120_000;

/** Sends the workflow dispatch for a deployment, exactly once, and finds its run. */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger('Dispatch');

  constructor(
    private readonly config: AppConfig,
    private readonly github: GithubClient,
    private readonly registry: ServiceRegistryService,
    private readonly deployments: DeploymentRepository,
    private readonly events: DeploymentEvents,
  ) {}

  /**
   * Dispatches a deployment the caller has just recorded as `dispatching` (and so owns). Any
   * failure becomes `dispatch_failed` with GitHub's reason in plain words.
   */
  async dispatch(deployment: Deployment): Promise<Deployment> {
    try {
      const source = await this.sourceOf(deployment);
      const result = await this.github.dispatchWorkflow({
        owner: source.owner,
        repo: source.repo,
        workflow: source.workflow,
        ref: await this.dispatchRefOf(deployment),
        inputs: source.inputs,
      });
      const now = new Date();
      const set: Partial<Deployment> = { dispatchedAt: now };
      if (
        result.runId &&
        (await this.deployments.claimRun(deployment.id, result.runId, result.runUrl ?? ''))
      ) {
        set.runId = result.runId;
      }
      const nextCheckAt = new Date(
        now.getTime() + (set.runId ? this.config.deploy.pollIntervalMs : RUN_DISCOVERY_DELAY_MS),
      );
      return this.move(deployment, 'dispatched', { set, tracking: { nextCheckAt } });
    } catch (error) {
      const reason = error instanceof AppError ? error.message : 'the dispatch failed unexpectedly';
      if (!(error instanceof AppError))
        this.logger.error(`Dispatch of ${deployment.id} failed: ${(error as Error).message}`);
      return this.move(deployment, 'dispatch_failed', {
        set: { failureReason: reason },
        note: reason,
      });
    }
  }

  /**
   * Dispatches an approved deployment: approved → dispatching first (so a crash from here on is
   * resolved by looking for the run, never by dispatching again), then the dispatch itself.
   */
  async dispatchApproved(deployment: Deployment): Promise<Deployment> {
    const now = new Date();
    const dispatching = await this.deployments.transition(deployment.id, 'dispatching', {
      from: ['approved'],
      set: { dispatchRef: await this.dispatchRefOf(deployment), dispatchRequestedAt: now },
    });
    if (!dispatching) return (await this.deployments.findById(deployment.id)) ?? deployment;
    this.events.changed({ deployment: dispatching, previousStatus: 'approved' });
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
    const since = deployment.dispatchRequestedAt ?? deployment.createdAt;
    const runs = await this.github.listDispatchRuns(
      source.owner,
      source.repo,
      source.workflow,
      await this.dispatchRefOf(deployment),
      since,
    );
    const latest = since.getTime() + DISPATCH_GRACE_MS;
    const byId = (await this.correlatesById(deployment))
      ? new RegExp(`(^|[^0-9a-z-])${deployment.id}($|[^0-9a-z-])`)
      : undefined;
    const candidates = runs.filter(
      (run) => Date.parse(run.createdAt) <= latest && (!byId || byId.test(run.displayTitle)),
    );
    const taken = await this.deployments.claimedRunIds(candidates.map((run) => run.id));
    for (const run of candidates) {
      if (taken.has(run.id)) continue;
      if (await this.deployments.claimRun(deployment.id, run.id, run.htmlUrl)) return run;
    }
    return undefined;
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

  /** Whether the dispatch carried the deployment id (so the run's title does too). */
  private async correlatesById(deployment: Deployment): Promise<boolean> {
    const inputs = (await this.sourceOf(deployment)).inputs;
    return Object.values(inputs).includes(deployment.id);
  }

  private async move(
    deployment: Deployment,
    to: Deployment['status'],
    options: Parameters<DeploymentRepository['transition']>[2],
  ): Promise<Deployment> {
    const moved = await this.deployments.transition(deployment.id, to, {
      from: ['dispatching'],
      ...options,
    });
    if (!moved) return (await this.deployments.findById(deployment.id)) ?? deployment;
    this.events.changed({ deployment: moved, previousStatus: deployment.status });
    return moved;
  }
}
