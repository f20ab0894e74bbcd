import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { DeploymentEvents } from '../deployments/deployment.events';
import { LeaseLost, OutboxWorker } from '../deployments/outbox-worker';
import { unheld } from '../github/github-budget';
import { GithubClient } from '../github/github.client';
import { onBehalfOfTheBot } from '../github/member-context';
import { AppMetrics } from '../metrics/app-metrics';
import { EnvironmentGateService } from './environment-gate.service';
import { clip } from './gate-decisions';
import { GateRequest, GateRequestStore } from './gate-request.store';

const MAX_BACKOFF_MS = 5 * 60_000;

export function answerBackoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Works through GitHub's questions (the environment gate): decides each one (EnvironmentGateService),
 * then answers GitHub once the decision is made. An answer that failed or was lost is sent again
 * with backoff until GitHub takes it or says nothing waits any more (422): the same answer each
 * time, so a lost one that GitHub took is never contradicted. One instance at a time holds each
 * question (its lease); a question survives restarts in MongoDB.
 */
@Injectable()
export class GateRequestWorker extends OutboxWorker<GateRequest> implements OnModuleInit {
  protected readonly logger = new Logger('EnvironmentGate');
  protected readonly serial = true;
  protected readonly sweep = { everyMs: 1_000, batch: 20 };

  constructor(
    private readonly requests: GateRequestStore,
    private readonly gate: EnvironmentGateService,
    private readonly github: GithubClient,
    private readonly events: DeploymentEvents,
    private readonly metrics: AppMetrics,
    clock: Clock,
    instance: Instance,
  ) {
    super(requests, clock, instance);
  }

  onModuleInit(): void {
    // A deployment started on GitHub moved: its question may be decided now.
    this.events.onAny('environment gate', ({ deployment }) => {
      if (!deployment.origin?.gated) return;
      void this.requests
        .nudgeFor(deployment.id, this.clock.now())
        .catch((error: Error) => this.logger.debug(`Nudging failed: ${error.message}`));
    });
  }

  protected async sync(
    claimed: GateRequest,
    owner: string,
    renew: () => Promise<boolean>,
  ): Promise<'caught-up' | 'again' | 'retry'> {
    let request = claimed;
    if (!request.decision) {
      const step = await this.gate.step(request);
      const now = this.clock.now();
      if ('lookAgainAt' in step) return this.later(request, owner, step.lookAgainAt);
      if ('opened' in step) {
        await this.requests.attachDeployment(request.id, owner, step.opened.id);
        this.metrics.githubRuns.inc({ environment: request.environment, kind: 'gated' });
        return this.later(request, owner, now);
      }
      const decided = await this.requests.decide(request.id, { ...step.decide, at: now });
      if (decided?.decision) this.gate.logDecision(decided, decided.decision);
      // Decided by another holder meanwhile: its decision is the one answered.
      request = decided ?? (await this.requests.find(request.id)) ?? request;
      if (!request.decision) return this.later(request, owner, now);
    }
    return this.answer(request, owner, renew);
  }

  private async answer(
    request: GateRequest,
    owner: string,
    renew: () => Promise<boolean>,
  ): Promise<'caught-up' | 'retry'> {
    const decision = request.decision!;
    if (decision.state === 'ignored') {
      await this.requests.close(request.id, owner, { outcome: 'ignored', at: this.clock.now() });
      return 'caught-up';
    }
    if (!(await renew())) throw new LeaseLost();
    try {
      const outcome = await unheld(() =>
        onBehalfOfTheBot(() =>
          this.github.reviewProtectionRule({
            owner: request.owner,
            repo: request.repo,
            runId: request.runId,
            environment: request.environment,
            state: decision.state as 'approved' | 'rejected',
            // Every comment, whatever made it, mentions nobody on GitHub and fits.
            comment: clip(decision.comment),
          }),
        ),
      );
      if (outcome === 'not-waiting')
        this.logger.warn(
          `run ${request.runId} (${request.environment}): GitHub no longer waits for an answer`,
        );
      this.metrics.gateAnswers.inc({ state: decision.state, outcome });
      await this.requests.close(request.id, owner, { outcome, at: this.clock.now() });
      return 'caught-up';
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        this.logger.warn(`run ${request.runId}: GitHub no longer knows it; nothing to answer`);
        await this.requests.close(request.id, owner, {
          outcome: 'not-waiting',
          at: this.clock.now(),
        });
        return 'caught-up';
      }
      const attempts = request.attempts + 1;
      if (attempts === 1 || attempts % 10 === 0)
        this.logger.warn(
          `Answering run ${request.runId} (${request.environment}) failed (${attempts}×): ${(error as Error).message}; trying again`,
        );
      const now = this.clock.now();
      await this.requests.lookAgain(
        request.id,
        owner,
        new Date(now.getTime() + answerBackoffMs(attempts)),
        now,
      );
      await this.requests.release(request.id, owner);
      return 'retry';
    }
  }

  private async later(request: GateRequest, owner: string, at: Date): Promise<'caught-up'> {
    await this.requests.lookAgain(request.id, owner, at);
    await this.requests.release(request.id, owner);
    return 'caught-up';
  }
}
