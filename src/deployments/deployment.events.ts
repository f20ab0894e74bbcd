import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Deployment, DeploymentStatus, VerificationState } from './deployment';

/**
 * What happens to a deployment, as the kernel tells it (DeploymentTransitions is the only one
 * that emits). Every event carries the record as it is after the change.
 */
export type DeploymentEvent =
  /** Recorded: a request waiting for approval, or a deployment in flight. */
  | { type: 'created'; deployment: Deployment }
  /** Its status changed (a terminal one also emits `finished`). */
  | { type: 'moved'; deployment: Deployment; from: DeploymentStatus }
  /** It reached a terminal status: success, failure, cancelled, timed out, expired … */
  | { type: 'finished'; deployment: Deployment; from: DeploymentStatus }
  /** An approval was recorded that did not yet decide the request. */
  | { type: 'approval-changed'; deployment: Deployment }
  /** GitHub has not started its run in time: the requester is to be told. */
  | { type: 'watchdog'; deployment: Deployment }
  /** Something people see changed without the status: its run, a late conclusion, its message. */
  | { type: 'updated'; deployment: Deployment }
  /**
   * Its verification after the run moved (began, probed, ended, rolled back): `from` is the state
   * it had before (the same for a probe that did not end it).
   */
  | { type: 'verification'; deployment: Deployment; from: VerificationState };

export type DeploymentEventType = DeploymentEvent['type'];
export type DeploymentEventOf<T extends DeploymentEventType> = Extract<
  DeploymentEvent,
  { type: T }
>;

type Listener = (event: DeploymentEvent) => unknown;

/**
 * The typed event bus of the deployment's life. Listeners (the Discord message, metrics,
 * rollback superseding) run after the caller has moved on: a webhook answers GitHub first. One
 * failing listener never affects another, and shutdown waits for those running.
 */
@Injectable()
export class DeploymentEvents implements BeforeApplicationShutdown {
  private readonly logger = new Logger('DeploymentEvents');
  private readonly listeners: Array<{
    name: string;
    types?: DeploymentEventType[];
    listener: Listener;
  }> = [];
  private pending = new Set<Promise<void>>();

  /** Listens to events of the given types. */
  on<T extends DeploymentEventType>(
    types: T | T[],
    name: string,
    listener: (event: DeploymentEventOf<T>) => unknown,
  ): void {
    this.listeners.push({
      name,
      types: Array.isArray(types) ? types : [types],
      listener: listener as Listener,
    });
  }

  /** Listens to every event. */
  onAny(name: string, listener: Listener): void {
    this.listeners.push({ name, listener });
  }

  /** Kernel only: DeploymentTransitions emits after each change it stored. */
  emit(event: DeploymentEvent): void {
    for (const { name, types, listener } of this.listeners) {
      if (types && !types.includes(event.type)) continue;
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => listener(event))
        .then(() => undefined)
        .catch((error: Error) =>
          this.logger.error(
            `${name} failed on ${event.type} of ${event.deployment.id}: ${error.message}`,
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
