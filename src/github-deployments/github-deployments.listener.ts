import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { DeploymentEvents } from '../deployments/deployment.events';
import { OutboxWorker } from '../deployments/outbox-worker';
import { GithubDeploymentsService } from './github-deployments.service';
import { DeploymentGithubStore, GithubClaim } from './github-record.store';

/**
 * Keeps GitHub's record of each deployment in step with it (an outbox worker: the kernel's
 * OutboxWorker claims, renews and sweeps). Every change of a recorded deployment queues a sync;
 * whoever holds the lease posts the newest status (intermediate ones may be skipped, never
 * reordered).
 *
 * One sync runs at a time. GitHub asks for at least a second between write requests, and the
 * Octokit throttling plugin queues all of the bot's writes in one line: one status at a time
 * keeps the dispatches and cancels people are waiting for from queueing behind a burst of
 * statuses. Nothing here can fail the process.
 */
@Injectable()
export class GithubDeploymentsListener extends OutboxWorker<GithubClaim> implements OnModuleInit {
  protected readonly logger = new Logger('GithubDeployments');
  protected readonly serial = true;
  protected readonly sweep = { everyMs: 5_000, batch: 20 };

  constructor(
    private readonly events: DeploymentEvents,
    private readonly records: DeploymentGithubStore,
    private readonly service: GithubDeploymentsService,
    clock: Clock,
    instance: Instance,
  ) {
    super(records, clock, instance);
  }

  onModuleInit(): void {
    this.events.on(['moved', 'finished', 'updated'], 'GitHub deployment', ({ deployment }) => {
      if (deployment.githubDeployment) this.trigger(deployment.id);
    });
  }

  protected async sync({
    deployment,
    state,
  }: GithubClaim): Promise<'caught-up' | 'again' | 'retry'> {
    const result = await this.service.sync(deployment, state);
    await this.records.finish(deployment.id, state, result);
    if (result.retryAt) return 'retry';
    return result.close ? 'caught-up' : 'again';
  }
}
