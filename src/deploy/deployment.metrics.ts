import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppMetrics } from '../metrics/app-metrics';
import { isTerminal } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { deploymentDurationMs } from './deploy.views';

/** Counts each deployment once, when it reaches a terminal status; keeps the active gauge true. */
@Injectable()
export class DeploymentMetrics implements OnModuleInit {
  constructor(
    private readonly events: DeploymentEvents,
    private readonly deployments: DeploymentRepository,
    private readonly metrics: AppMetrics,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('metrics', async ({ deployment, previousStatus }) => {
      const ended =
        isTerminal(deployment.status) && (!previousStatus || !isTerminal(previousStatus));
      if (ended) {
        const labels = {
          service: deployment.service,
          environment: deployment.environment,
          status: deployment.status,
        };
        this.metrics.deployments.inc(labels);
        const duration = deploymentDurationMs(deployment);
        if (duration !== undefined)
          this.metrics.deploymentDuration.observe(labels, duration / 1000);
      }
      this.metrics.activeDeployments.set(await this.deployments.countInFlight());
    });
  }
}
