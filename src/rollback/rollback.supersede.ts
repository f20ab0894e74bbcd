import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Deployment, isTerminal } from '../deploy/deployment';
import { DeploymentEvents } from '../deploy/deployment.events';
import { DeploymentRepository } from '../deploy/deployment.repository';

/**
 * When a rollback succeeds, the deployments it rolled back over are marked superseded. A
 * rollback carries a "superseding pending" mark from its creation until that is done (or it
 * ended without succeeding); at start, only rollbacks still marked are looked at, so a crash
 * right after a success loses nothing and start-up never reads the history.
 */
@Injectable()
export class RollbackSupersede implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Rollback');

  constructor(
    private readonly events: DeploymentEvents,
    private readonly deployments: DeploymentRepository,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('rollback-supersede', async ({ deployment }) => {
      if (deployment.rollback && isTerminal(deployment.status)) await this.settle(deployment);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const rollback of await this.deployments.findRollbacksToSettle())
        await this.settle(rollback);
    } catch (error) {
      this.logger.warn(
        `Could not finish marking what rollbacks went over: ${(error as Error).message}`,
      );
    }
  }

  private async settle(rollback: Deployment): Promise<void> {
    if (rollback.status === 'success' && rollback.rollback) {
      const target = await this.deployments.findById(rollback.rollback.to);
      if (target) await this.deployments.markSuperseded(rollback, target);
    }
    await this.deployments.clearSupersedePending(rollback.id);
  }
}
