import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { DeploymentEvents } from '../deployments/deployment.events';
import { nextRunCheckAt } from './run-schedule';
import { DeploymentTrackingStore } from './tracking.store';
import { WebhookActivityStore } from './webhook-activity.store';

/**
 * Plans the first look at a run the dispatcher just started: the dispatcher records it with a
 * look a poll later; this moves that look to where the schedule puts it for the repository's
 * mode (a backstop while its webhooks arrive, the watchdog's moment at the latest).
 */
@Injectable()
export class FirstLookListener implements OnModuleInit {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly events: DeploymentEvents,
    private readonly tracking: DeploymentTrackingStore,
    private readonly webhooks: WebhookActivityStore,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.events.on('moved', 'first look at a dispatched run', async ({ deployment, from }) => {
      if (deployment.status !== 'dispatched' || from !== 'dispatching') return;
      if (!deployment.runId || !deployment.source) return;
      const now = this.clock.now();
      const { owner, repo } = deployment.source;
      const { mode } = await this.webhooks.modeOf(`${owner}/${repo}`, now);
      const at = nextRunCheckAt(deployment, now, mode, this.config.deploy);
      await this.tracking
        .planCheck(deployment.id, 'dispatched', at, now)
        .catch((error: Error) =>
          this.logger.debug(`Planning ${deployment.id}'s first look failed: ${error.message}`),
        );
    });
  }
}
