import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Deployment } from './deployment';

/** A deployment changed: `previous` is its status before, when it moved. */
export interface DeploymentChanged {
  deployment: Deployment;
  previousStatus?: Deployment['status'];
  /** Something to tell people beyond the status: GitHub has not started the run. */
  notice?: 'watchdog';
}

type Listener = (event: DeploymentChanged) => Promise<void> | void;

/**
 * Cross-feature effects of a deployment change (the Discord message, metrics, announcements)
 * subscribe here. Listeners run after the caller has moved on: a webhook answers GitHub first,
 * and one failing listener never affects another.
 */
@Injectable()
export class DeploymentEvents implements BeforeApplicationShutdown {
  private readonly logger = new Logger('DeploymentEvents');
  private readonly listeners: Array<{ name: string; listener: Listener }> = [];
  private pending = new Set<Promise<void>>();

  subscribe(name: string, listener: Listener): void {
    this.listeners.push({ name, listener });
  }

  changed(event: DeploymentChanged): void {
    for (const { name, listener } of this.listeners) {
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => listener(event))
        .catch((error: Error) =>
          this.logger.error(
            `${name} failed for deployment ${event.deployment.id}: ${error.message}`,
          ),
        )
        .finally(() => this.pending.delete(run));
      this.pending.add(run);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves when every listener started so far has finished (used at shutdown and in tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
