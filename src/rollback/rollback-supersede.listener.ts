import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Deployment } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';

/**
 * When a rollback succeeds, the deployments it rolled back over are marked superseded. A
 * rollback carries a "superseding pending" mark from its creation until that is done (or it
 * ended without succeeding); at start, only rollbacks still marked are looked at, so a crash
 * right after a success loses nothing and start-up never reads the history.
 */
@Injectable()
export class RollbackSupersedeListener implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Rollback');

  constructor(
    private readonly events: DeploymentEvents,
    private readonly history: DeploymentHistory,
    private readonly transitions: DeploymentTransitions,
  ) {}

  onModuleInit(): void {
    this.events.on('finished', 'rollback superseding', async ({ deployment }) => {
      if (deployment.rollback) await this.settle(deployment);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const rollback of await this.history.findRollbacksToSettle())
        await this.settle(rollback);
    } catch (error) {
      this.logger.warn(
        `Could not finish marking what rollbacks went over: ${(error as Error).message}`,
      );
    }
  }

  private async settle(rollback: Deployment): Promise<void> {
    const target =
      rollback.status === 'success' && rollback.rollback
        ? await this.history.findById(rollback.rollback.to)
        : null;
    await this.transitions.settleRollback(rollback, target);
  }
}
