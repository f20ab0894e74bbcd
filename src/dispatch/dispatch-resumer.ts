import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { DISPATCH_LEASE_MS } from '../deployments/deadlines';
import { DeploymentLeases } from '../deployments/deployment-leases.repository';
import { DispatchService } from './dispatch.service';

const EVERY_MS = 5_000;
/** Deployments resumed per round; the rest wait for the next one. */
const PER_ROUND = 10;

/**
 * Dispatches what an instance approved and died before sending: an `approved` deployment whose
 * dispatch lease ended (GitHub was never called for it: it would be `dispatching` otherwise).
 * One instance takes each (the claim is one atomic update); it is dispatched as any other.
 */
@Injectable()
export class DispatchResumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dispatch');
  private running?: Promise<unknown>;

  constructor(
    private readonly leases: DeploymentLeases,
    private readonly dispatcher: DispatchService,
    private readonly scheduler: SchedulerRegistry,
    private readonly instance: Instance,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval(
      'dispatch-resumer',
      setInterval(() => void this.round(), EVERY_MS),
    );
    void this.round();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', 'dispatch-resumer'))
      this.scheduler.deleteInterval('dispatch-resumer');
    await this.running;
  }

  /** One round: every stranded approval found is dispatched. Never throws. */
  round(): Promise<unknown> {
    this.running ??= this.resume()
      .catch((error: Error) => this.logger.warn(`Resuming dispatches failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async resume(): Promise<void> {
    for (let resumed = 0; resumed < PER_ROUND && !this.instance.stopping; resumed++) {
      const owner = this.instance.leaseOwner();
      const stranded = await this.leases.claimStranded(this.clock.now(), DISPATCH_LEASE_MS, owner);
      if (!stranded) return;
      this.logger.log(`${stranded.id} was approved but never dispatched: dispatching it now`);
      await this.dispatcher.dispatchApproved(stranded, owner);
    }
  }
}
