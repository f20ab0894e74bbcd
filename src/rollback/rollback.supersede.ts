import { Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Deployment } from '../deploy/deployment';
import { DeploymentEvents } from '../deploy/deployment.events';
import { DeploymentHistory } from '../deploy/deployment-history.repository';
import { DeploymentRepository } from '../deploy/deployment.repository';

/**
 * When a rollback succeeds, the deployments it rolled back over are marked superseded. Marking
 * is idempotent and is applied again at start, so a crash right after a success loses nothing.
 */
@Injectable()
export class RollbackSupersede implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly events: DeploymentEvents,
    private readonly deployments: DeploymentRepository,
    private readonly history: DeploymentHistory,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('rollback-supersede', async ({ deployment, previousStatus }) => {
      if (deployment.status !== 'success' || previousStatus === 'success') return;
      await this.supersede(deployment);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const rollback of await this.history.listSuccessfulRollbacks())
      await this.supersede(rollback);
  }

  private async supersede(rollback: Deployment): Promise<void> {
    if (!rollback.rollback) return;
    const target = await this.deployments.findById(rollback.rollback.to);
    if (target) await this.deployments.markSuperseded(rollback, target);
  }
}
