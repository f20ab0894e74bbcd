import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentGithubStore } from './github-record.store';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { GithubDeploymentsService } from './github-deployments.service';

const SWEEP_EVERY_MS = 5_000;
const SWEEP_BATCH = 20;

/**
 * Keeps GitHub's record of each deployment in step with it. Every change of a recorded
 * deployment queues a sync; a sweep catches up with missed events, retries and other
 * instances' changes. It works from state: whoever holds the lease posts the newest status
 * (intermediate ones may be skipped, never reordered).
 *
 * One sync runs at a time. GitHub asks for at least a second between write requests, and the
 * Octokit throttling plugin queues all of the bot's writes in one line: one status at a time
 * keeps the dispatches and cancels people are waiting for from queueing behind a burst of
 * statuses. Nothing here can fail the process.
 */
@Injectable()
export class GithubDeploymentsListener
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('GithubDeployments');
  /** Deployments waiting for a sync, in the order they were triggered. */
  private readonly queued = new Set<string>();
  private draining?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly events: DeploymentEvents,
    private readonly store: DeploymentGithubStore,
    private readonly service: GithubDeploymentsService,
    private readonly clock: Clock,
    private readonly instance: Instance,
  ) {}

  onModuleInit(): void {
    this.events.on(['moved', 'finished', 'updated'], 'GitHub deployment', ({ deployment }) => {
      if (deployment.githubDeployment) this.trigger(deployment.id);
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.settled();
  }

  trigger(id: string): void {
    if (this.stopped) return;
    this.queued.add(id);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves when every sync queued so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.draining || this.sweeping) await Promise.all([this.draining, this.sweeping]);
  }

  private async drain(): Promise<void> {
    for (let id = this.next(); id && !this.stopped; id = this.next()) {
      await this.syncUntilCaughtUp(id).catch((error: Error) =>
        this.logger.warn(`Updating GitHub's record of ${id} failed: ${error.message}`),
      );
    }
  }

  private next(): string | undefined {
    const [id] = this.queued;
    if (id) this.queued.delete(id);
    return id;
  }

  private sweep(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = this.store
      .findDue(this.clock.now(), SWEEP_BATCH)
      .then((ids) => ids.filter((id) => !this.queued.has(id)).forEach((id) => this.trigger(id)))
      .catch((error: Error) => this.logger.debug(`Sweep failed: ${error.message}`))
      .finally(() => (this.sweeping = undefined));
  }

  private async syncUntilCaughtUp(id: string): Promise<void> {
    // A change made while this worker held the lease leaves the record behind: go again.
    for (let round = 0; round < 5; round++) {
      const lease = this.instance.leaseOwner();
      const claimed = await this.store.claim(id, this.clock.now(), LEASE_MS, lease);
      if (!claimed) return;
      const result = await renewingWhile(
        () => this.store.renew(id, lease, this.clock.now(), LEASE_MS),
        () => this.service.sync(claimed.deployment, claimed.state),
      );
      await this.store.finish(id, claimed.state, result);
      if (result.retryAt || result.close) return;
    }
  }
}
