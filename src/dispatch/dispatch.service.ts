import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentLeases } from '../deployments/deployment-leases.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { fencedWhile, LEASE_MS } from '../deployments/leases';
import { unheld } from '../github/github-budget';
import { DispatchRequest, GithubClient } from '../github/github.client';
import { GithubDeploymentsService } from '../github-deployments/github-deployments.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { LaunchChecks } from './launch-checks';
import { RUN_DISCOVERY_DELAY_MS } from '../deployments/deadlines';

/**
 * Sends the workflow dispatch for a deployment at most once. GitHub's answer decides: a run (or
 * 204) → `dispatched`; a refusal (4xx) → `dispatch_failed`; no definite answer (a 5xx, a
 * timeout, a reset) → `dispatch_unknown`, the target still busy, while the tracker looks for the
 * run it may have started (tracking/run-discovery.ts). Nothing is ever sent again.
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
    private readonly leases: DeploymentLeases,
    private readonly githubDeployments: GithubDeploymentsService,
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
    if (deployment.origin?.gated) return this.letThrough(deployment, leaseOwner);
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
    const renew = () => this.leases.renew(deployment.id, leaseOwner, this.clock.now(), LEASE_MS);
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
      // out. The lease is renewed while the request waits for its turn (GitHub's one write a
      // second) and its answer, and the request is fenced by it: once the lease may be lost, it
      // is dropped before it goes out, or abandoned on its way (then looked for, as a lost answer).
      result = await fencedWhile(
        renew,
        (signal) => unheld(() => this.github.dispatchWorkflow({ ...request, signal })),
        () => this.clock.now().getTime(),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'GITHUB.OUTCOME_UNKNOWN')
        return this.answerLost(deployment, leaseOwner, sentAt, error.message);
      return this.fail(deployment, leaseOwner, this.reasonOf(deployment, error));
    }
    try {
      return await this.sent(deployment, leaseOwner, sentAt, result);
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
        // A run GitHub holds runs from its own branch: nothing is dispatched.
        dispatchRef: deployment.origin
          ? deployment.dispatchRef
          : await this.registry.dispatchRefOf(deployment),
        dispatchRequestedAt: this.clock.now(),
      },
    });
    if (!dispatching) return (await this.history.findById(deployment.id)) ?? deployment;
    return this.dispatch(dispatching, leaseOwner);
  }

  /**
   * A run GitHub holds for the bot's answer (its environment's protection rule) is not
   * dispatched: it is let through. What must hold is checked once more, as at an approval; then
   * the deployment follows the run, and the environment gate tells GitHub `approved`.
   */
  private async letThrough(deployment: Deployment, leaseOwner: string): Promise<Deployment> {
    const origin = deployment.origin!;
    try {
      const refusal = await this.checks.refusal(deployment, 'approval');
      if (refusal) return this.fail(deployment, leaseOwner, `Not let through: ${refusal.message}`);
    } catch (error) {
      return this.fail(deployment, leaseOwner, this.reasonOf(deployment, error));
    }
    // As before a dispatch: once its lease may be lost, whoever holds it now takes the run.
    if (
      !(await this.leases
        .renew(deployment.id, leaseOwner, this.clock.now(), LEASE_MS)
        .catch(() => false))
    )
      return (await this.history.findById(deployment.id)) ?? deployment;
    const nextCheckAt = new Date(this.clock.now().getTime() + this.config.deploy.pollIntervalMs);
    const released = await this.transitions
      .releaseHeldRun(
        deployment.id,
        leaseOwner,
        { runId: origin.runId, runUrl: origin.runUrl },
        nextCheckAt,
      )
      .catch((error: Error) => {
        // Its run is another deployment's (still in flight): never let through twice.
        this.logger.warn(
          `${deployment.id}: letting run ${origin.runId} through failed: ${error.message}`,
        );
        return this.fail(
          deployment,
          leaseOwner,
          'its run is already followed by another deployment',
        );
      });
    return released ?? (await this.history.findById(deployment.id)) ?? deployment;
  }

  /** GitHub took the dispatch: the run it named is followed; one it did not name is looked for. */
  private async sent(
    deployment: Deployment,
    leaseOwner: string,
    sentAt: Date,
    result: { runId?: number; runUrl?: string },
  ): Promise<Deployment> {
    const now = this.clock.now();
    const linked =
      result.runId !== undefined &&
      (await this.transitions.linkRun(deployment.id, result.runId, result.runUrl ?? '', {
        thenMoved: true,
      }));
    // A run GitHub named is looked at a poll later (the tracker plans that look by its
    // repository's mode as soon as the move is known: FirstLookListener); one it did not name
    // is looked for soon.
    const nextCheckAt = new Date(
      now.getTime() + (linked ? this.config.deploy.pollIntervalMs : RUN_DISCOVERY_DELAY_MS),
    );
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

  /** What the dispatch sends: the deployment's workflow and inputs, on its branch. */
  private async requestOf(deployment: Deployment): Promise<DispatchRequest> {
    const source = await this.registry.sourceOf(deployment);
    return {
      owner: source.owner,
      repo: source.repo,
      workflow: source.workflow,
      ref: await this.registry.dispatchRefOf(deployment),
      inputs: source.inputs,
    };
  }
}
