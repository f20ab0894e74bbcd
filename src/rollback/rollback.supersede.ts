import { Injectable, OnModuleInit } from '@nestjs/common';
import { DeploymentEvents } from '../deploy/deployment.events';
import { DeploymentRepository } from '../deploy/deployment.repository';

/** When a rollback succeeds, the deployments it rolled back over are marked superseded. */
@Injectable()
export class RollbackSupersede implements OnModuleInit {
  constructor(
    private readonly events: DeploymentEvents,
    private readonly deployments: DeploymentRepository,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('rollback-supersede', async ({ deployment, previousStatus }) => {
      if (!deployment.rollback || deployment.status !== 'success' || previousStatus === 'success')
        return;
      const target = await this.deployments.findById(deployment.rollback.to);
      if (target) await this.deployments.markSuperseded(deployment, target);
    });
  }
}
