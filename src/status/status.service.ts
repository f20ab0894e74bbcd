import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { ValidationError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { TrackingMode } from '../tracking/run-schedule';
import { WebhookActivityStore } from '../tracking/webhook-activity.store';
import { pollEveryMs } from '../tracking/run-schedule';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { TargetLock } from '../target-locks/target-lock.repository';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { TargetSchedule, TargetScheduleView } from '../deploy-windows/target-schedule.service';
import { QueueStore } from '../admission/queue.store';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';

export interface EnvironmentStatus {
  environment: string;
  protected: boolean;
  /** What runs there: the last successful deployment. */
  current: Deployment | null;
  inFlight: Deployment | null;
  pending: Deployment[];
  lock: TargetLock | null;
  /** Freezes, windows, and whether they let the target take deploys now. */
  schedule: TargetScheduleView;
  /** Requests waiting in the target's queue. */
  queued: number;
}

/** How the service's runs are followed: by webhooks with a polling backstop, or by polling. */
export interface TrackingStatus {
  repository: string;
  mode: TrackingMode;
  lastDeliveryAt?: Date;
  /** How often a run in flight is polled in this mode. */
  pollEveryMs: number;
}

/** What is deployed where, what is moving, and what happened: read-only views for anyone. */
@Injectable()
export class StatusService {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
    private readonly queue: QueueStore,
    private readonly past: DeploymentHistory,
    private readonly webhooks: WebhookActivityStore,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async history(
    serviceName: string,
    environment: string | undefined,
    limit = 10,
  ): Promise<{ service: Service; deployments: Deployment[] }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 25)
      throw new ValidationError('Invalid limit: a whole number from 1 to 25.');
    const env = environment?.trim().toLowerCase();
    const service = env
      ? await this.registry.getForEnvironment(serviceName, env)
      : await this.registry.get(serviceName);
    return { service, deployments: await this.past.listHistory(service.name, env, limit) };
  }

  async status(
    serviceName: string,
  ): Promise<{ service: Service; environments: EnvironmentStatus[]; tracking: TrackingStatus }> {
    const service = await this.registry.get(serviceName);
    const repository = `${service.owner}/${service.repo}`;
    const { mode, lastDeliveryAt } = await this.webhooks.modeOf(repository, this.clock.now());
    const tracking = {
      repository,
      mode,
      lastDeliveryAt,
      pollEveryMs: pollEveryMs(mode, this.config.deploy),
    };
    const environments = await Promise.all(
      service.environments.map(async (environment) => ({
        environment,
        protected: service.protectedEnvironments.includes(environment),
        current: await this.past.findLastSuccessful(service.name, environment),
        inFlight: await this.past.findInFlightForTarget(service.name, environment),
        pending: await this.past.listPendingForTarget(service.name, environment),
        lock: await this.locks.find(service.name, environment),
        schedule: await this.schedule.viewOf(service.name, environment),
        queued: await this.queue.countQueued({ service: service.name, environment }),
      })),
    );
    return { service, environments, tracking };
  }
}
