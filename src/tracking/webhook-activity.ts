import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { WebhookActivityStore } from '../deployments/webhook-activity.store';

/**
 * Notes that a repository's run webhooks reach the bot (a verified `workflow_run` or
 * `workflow_job` delivery from it): its runs are then polled only as a backstop.
 */
@Injectable()
export class WebhookActivity {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly store: WebhookActivityStore,
    private readonly clock: Clock,
  ) {}

  /** Never fails the delivery: a note not written only means polling at the usual pace. */
  async noteDelivery(repository: string): Promise<void> {
    try {
      await this.store.noteDelivery(repository, this.clock.now());
    } catch (error) {
      this.logger.debug(`Could not note a delivery: ${(error as Error).message}`);
    }
  }
}
