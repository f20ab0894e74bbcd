import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { WebhookActivityStore } from './webhook-activity.store';

/**
 * Notes that a repository's run webhooks reach the bot (a verified `workflow_run` delivery
 * about one of the bot's runs, not one already applied): its runs are then polled only as a
 * backstop.
 */
@Injectable()
export class WebhookActivity {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly store: WebhookActivityStore,
    private readonly clock: Clock,
  ) {}

  /**
   * At the run's own time (`updated_at`, signed with the payload; never later than now): a
   * delivery replayed later does not make the repository look as if its webhooks still arrived.
   * Never fails the delivery: a note not written only means polling at the usual pace.
   */
  async noteDelivery(repository: string, runUpdatedAt: string | undefined): Promise<void> {
    const at = Date.parse(runUpdatedAt ?? '');
    if (!Number.isFinite(at)) return;
    try {
      await this.store.noteDelivery(repository, new Date(Math.min(at, this.clock.now().getTime())));
    } catch (error) {
      this.logger.debug(`Could not note a delivery: ${(error as Error).message}`);
    }
  }
}
