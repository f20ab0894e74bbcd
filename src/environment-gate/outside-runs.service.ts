import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { admittedRequest } from '../admission/admitted-request';
import { AppConfig } from '../config/app-config';
import { DeploymentStatus } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { AppMetrics } from '../metrics/app-metrics';
import { channelOf, Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { EnvironmentGateService } from './environment-gate.service';
import { deploysWith, isApp, refAllowed } from './gate-rules';
import { GateRequestStore } from './gate-request.store';

/** What GitHub says of a run, in a `workflow_run` or `deployment_status` delivery. */
export interface ObservedRun {
  owner: string;
  repo: string;
  id: number;
  /** 1, then one more at each re-run. */
  attempt?: number;
  workflowId?: number;
  path?: string;
  status?: string;
  conclusion?: string | null;
  htmlUrl?: string;
  headSha: string;
  headBranch?: string | null;
  event?: string;
  actor?: { login?: string; type?: string } | null;
}

/**
 * Runs of a service's deploy workflow started on GitHub without the environment gate (a push, the
 * Run workflow button, a re-run, another tool): recorded as deployments started on GitHub, as
 * they are (in progress, or ended), and followed from then on like any other. Runs the bot
 * follows already, the environment gate's own, and a run a dispatch of the bot's may still be
 * looking for are left alone.
 */
@Injectable()
export class OutsideRunsService {
  private readonly logger = new Logger('OutsideRuns');

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ServiceRegistryService,
    private readonly history: DeploymentHistory,
    private readonly transitions: DeploymentTransitions,
    private readonly requests: GateRequestStore,
    private readonly gate: EnvironmentGateService,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
  ) {}

  /** The registered service whose deploy workflow ran `run`, if any. */
  async serviceOf(run: ObservedRun): Promise<Service | undefined> {
    return (await this.registry.servicesOfRepository(run.owner, run.repo)).find((service) =>
      deploysWith(service, run),
    );
  }

  /** Records the run as a deployment to `environment`: `accepted`, or `ignored` when not to. */
  async record(
    service: Service,
    environment: string,
    run: ObservedRun,
  ): Promise<'accepted' | 'ignored' | 'duplicate'> {
    environment = environment.toLowerCase();
    if (!service.environments.includes(environment)) return 'ignored';
    // What /deploy would refuse is not a deployment of the target: a pull request's run, or a
    // branch the target does not take (the run may have skipped its deploy job).
    if (String(run.event ?? '').startsWith('pull_request')) return 'ignored';
    if (!refAllowed(service, environment, run.headBranch ?? run.headSha)) return 'ignored';
    if (
      (await this.history.knowsRun(run.id, run.attempt ?? 1)) ||
      (await this.requests.asksAbout(run.id))
    )
      return 'ignored';
    // A dispatch of the bot's own may still be looking for this very run.
    if (await this.history.findLookingForRun(service.name, environment)) return 'ignored';
    const sender = {
      login: String(run.actor?.login ?? 'unknown').slice(0, 100),
      type: String(run.actor?.type ?? 'User').slice(0, 20),
    };
    const requester = await this.gate.requesterOf(sender);
    const status = statusOf(run.status, run.conclusion ?? null);
    const { githubDeployment: _recordedByGithub, ...draft } = admittedRequest(
      service,
      {
        environment,
        ref: (run.headBranch ?? run.headSha).slice(0, 255),
        sha: run.headSha.toLowerCase(),
        requester: requester.person,
      },
      async () => undefined,
    ).draft;
    const now = this.clock.now();
    const channelId = channelOf(service, environment, this.config.discord.deployChannelId);
    const ended = status !== 'in_progress';
    try {
      await this.transitions.recordObserved(
        {
          ...draft,
          ...(channelId ? { channelId } : {}),
          origin: {
            kind: 'github',
            login: sender.login,
            event: String(run.event ?? 'unknown').slice(0, 50),
            runId: run.id,
            runAttempt: run.attempt ?? 1,
            ...(run.htmlUrl ? { runUrl: run.htmlUrl } : {}),
            gated: false,
            ...(isApp(sender) ? { app: true } : {}),
            ...(requester.linked ? { member: requester.person } : {}),
          },
        },
        status,
        {
          runId: run.id,
          runUrl: run.htmlUrl ?? '',
          dispatchedAt: now,
          ...(ended
            ? { finishedAt: now, ...(run.conclusion ? { runConclusion: run.conclusion } : {}) }
            : {}),
        },
        ended ? undefined : new Date(now.getTime() + this.config.deploy.pollIntervalMs),
      );
    } catch (error) {
      // Another delivery or instance recorded it at the same moment: the run is taken.
      this.logger.debug(`Recording run ${run.id} failed: ${(error as Error).message}`);
      return 'duplicate';
    }
    this.metrics.githubRuns.inc({ environment, kind: 'observed' });
    return 'accepted';
  }
}

function statusOf(status: string | undefined, conclusion: string | null): DeploymentStatus {
  if (status !== 'completed') return 'in_progress';
  if (conclusion === 'success') return 'success';
  if (conclusion === 'cancelled' || conclusion === 'skipped') return 'cancelled';
  return 'failure';
}
