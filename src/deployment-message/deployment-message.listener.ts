import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Client } from 'discord.js';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppConfig } from '../config/app-config';
import { Deployment, isTerminal } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentOutbox, SyncResult, SyncState } from './message-outbox.store';
import { LEASE_MS, renewingWhile } from '../deployments/leases';
import { classifyDiscordFailure, UnusableChannelError } from '../discord/discord-failures';
import { ChannelPacer } from './channel-pacer';
import {
  deploymentMessage,
  outcomeAnnouncement,
  watchdogText,
} from '../discord/deployment-views/deployment-message.views';

const SWEEP_EVERY_MS = 1_000;
const SWEEP_BATCH = 50;
/** The worker's lease ran out and another worker took the deployment: it sends nothing more. */
class LeaseLost extends Error {}
/** The instance stops: a worker still waiting for its channel's turn gives up its edit. */
class Stopping extends Error {}

/** Transient failures are retried after 1 s, 2 s, 4 s … up to a minute, this many times. */
export const MAX_ATTEMPTS = 12;
const MAX_BACKOFF_MS = 60_000;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Keeps each deployment's Discord side true: its message is rebuilt from the stored record and
 * edited in place with the bot token (so it works long after the interaction token expired),
 * its outcome is posted to DEPLOY_CHANNEL_ID once, and the requester is mentioned once when
 * GitHub has not started the run.
 *
 * It works from state, not from a queue of events: every change marks the deployment due, and
 * whoever holds its lease sends the newest state (intermediate ones are skipped, never
 * reordered). The three parts are independent: a failed edit never stops the announcement.
 * A message or channel that is gone, or out of the bot's reach, is recorded on the deployment,
 * logged once, and not tried again; Discord or database failures that may pass are retried with
 * backoff, then given up on with a log line. Nothing here can fail the process.
 */
@Injectable()
export class DeploymentMessageListener
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('DeploymentMessages');
  private readonly running = new Set<Promise<void>>();
  private readonly pacer = new ChannelPacer();
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly events: DeploymentEvents,
    private readonly outbox: DeploymentOutbox,
    private readonly client: Client,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly instance: Instance,
  ) {}

  onModuleInit(): void {
    this.events.onAny('deployment message', ({ deployment }) => this.trigger(deployment.id));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.settled();
  }

  /** Brings one deployment's Discord side up to date now, in the background. */
  trigger(id: string): void {
    if (this.stopped) return;
    const run = this.syncUntilCaughtUp(id)
      .catch((error: Error) =>
        this.logger.warn(`Updating the Discord side of ${id} failed: ${error.message}`),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves when every update started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size || this.sweeping) await Promise.all([...this.running, this.sweeping]);
  }

  /** Catches up with deployments that are due: missed events, retries, other instances' changes. */
  private sweep(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = this.outbox
      .findDue(this.clock.now(), SWEEP_BATCH)
      .then((ids) => ids.forEach((id) => this.trigger(id)))
      .catch((error: Error) => this.logger.debug(`Sweep failed: ${error.message}`))
      .finally(() => (this.sweeping = undefined));
  }

  /**
   * Claims the deployment's Discord side (one worker of all instances at a time), renews the
   * lease while it works, and renews it once more right before each message it sends: a worker
   * whose lease ran out sends nothing, so two instances never put an older state over a newer.
   */
  private async syncUntilCaughtUp(id: string): Promise<void> {
    // A change made while this worker held the lease leaves the deployment due: go again.
    for (let round = 0; round < 5; round++) {
      const owner = this.instance.leaseOwner();
      const claimed = await this.outbox.claim(id, this.clock.now(), LEASE_MS, owner);
      if (!claimed) return;
      let leaseEnd = this.clock.now().getTime() + LEASE_MS;
      const renew = async () => {
        const now = this.clock.now();
        try {
          const held = await this.outbox.renew(id, owner, now, LEASE_MS);
          if (held) leaseEnd = now.getTime() + LEASE_MS;
          return held;
        } catch {
          // The database blinked: the lease is still this worker's until its known end.
          return now.getTime() < leaseEnd - 1_000;
        }
      };
      let result: SyncResult;
      try {
        result = await renewingWhile(renew, () =>
          this.update(claimed.deployment, claimed.state, renew),
        );
      } catch (error) {
        // Stopping: the deployment stays due, and whoever takes the lease next sends it.
        if (error instanceof Stopping) return this.outbox.release(id, owner);
        if (!(error instanceof LeaseLost)) throw error;
        this.logger.warn(`Lost the lease on ${id}'s Discord side; its new holder carries on`);
        return;
      }
      if (await this.outbox.finish(id, claimed.state, result)) return;
      if (result.retryAt) return;
    }
  }

  private async update(
    deployment: Deployment,
    state: SyncState,
    stillHeld: () => Promise<boolean>,
  ): Promise<SyncResult> {
    const result: SyncResult = {};
    const transient: string[] = [];
    const attempt = async (
      part: string,
      work: () => Promise<void>,
      onGone: (reason: string) => void,
    ) => {
      if (!(await stillHeld())) throw new LeaseLost();
      try {
        await work();
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof Stopping) throw error;
        const failure = classifyDiscordFailure(error);
        if (failure.kind === 'transient') transient.push(`${part}: ${failure.reason}`);
        else {
          this.logger.warn(`${part} of ${deployment.id}: ${failure.reason}; not tried again`);
          onGone(failure.reason);
        }
      }
    };

    if (
      deployment.channelId &&
      deployment.messageId &&
      !deployment.messageLost &&
      state.version > state.messageVersion
    ) {
      await attempt(
        'The message',
        async () => {
          result.messageVersion = await this.editMessage(deployment, state, stillHeld);
        },
        (reason) => {
          result.messageLost = { at: this.clock.now(), reason };
          result.messageVersion = state.version;
        },
      );
    }
    if (deployment.watchdogNotifiedAt && !state.watchdogMentionedAt) {
      await attempt(
        'The watchdog mention',
        async () => {
          await this.mentionRequester(deployment);
          result.watchdogMentionedAt = this.clock.now();
        },
        () => (result.watchdogMentionedAt = this.clock.now()),
      );
    }

    // Last: nothing after it can throw away the record that it was posted.
    const announceTo = this.config.discord.deployChannelId;
    if (
      announceTo &&
      isTerminal(deployment.status) &&
      !state.announcedAt &&
      !state.announcementFailed
    ) {
      await attempt(
        'The announcement',
        async () => {
          await this.announce(announceTo, deployment);
          result.announcedAt = this.clock.now();
        },
        (reason) => (result.announcementFailed = reason),
      );
    }
    if (transient.length === 0) return result;
    const attempts = state.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      this.logger.warn(
        `Giving up on the Discord side of ${deployment.id} after ${attempts} attempts (${transient.join('; ')}); the next change tries again`,
      );
      return {
        ...result,
        gaveUp: true,
        messageVersion: state.version,
        ...(result.announcedAt || state.announcedAt ? {} : { announcementFailed: 'gave up' }),
        watchdogMentionedAt: result.watchdogMentionedAt ?? deployment.watchdogNotifiedAt,
      };
    }
    this.logger.debug(`Will retry the Discord side of ${deployment.id}: ${transient.join('; ')}`);
    return { ...result, retryAt: new Date(this.clock.now().getTime() + backoffMs(attempts)) };
  }

  /**
   * Edits the message when its channel's turn comes (see ChannelPacer), with the newest stored
   * state rather than the one read when the lease was taken. The version it showed.
   */
  private async editMessage(
    deployment: Deployment,
    state: SyncState,
    stillHeld: () => Promise<boolean>,
  ): Promise<number> {
    const channel = await this.client.channels.fetch(deployment.channelId!);
    if (!channel?.isTextBased())
      throw new UnusableChannelError('the channel is not a text channel');
    return this.pacer.turn(channel.id, async () => {
      // A shutdown never waits behind a busy channel's queue of edits.
      if (this.stopped) throw new Stopping();
      if (!(await stillHeld())) throw new LeaseLost();
      const newest = (await this.outbox.latest(deployment.id)) ?? { deployment, ...state };
      await channel.messages.edit(deployment.messageId!, deploymentMessage(newest.deployment));
      return Math.max(newest.version, state.version);
    });
  }

  private async announce(channelId: string, deployment: Deployment): Promise<void> {
    const channel = await this.client.channels.fetch(channelId);
    if (!channel?.isSendable())
      throw new UnusableChannelError(
        `DEPLOY_CHANNEL_ID ${channelId} is not a channel the bot can post in`,
      );
    await channel.send({ content: outcomeAnnouncement(deployment) });
  }

  /** A reply to the deployment's message that mentions the requester (an edit would not notify). */
  private async mentionRequester(deployment: Deployment): Promise<void> {
    if (!deployment.channelId) return;
    const channel = await this.client.channels.fetch(deployment.channelId);
    if (!channel?.isSendable())
      throw new UnusableChannelError('the bot cannot post in the channel');
    await channel.send({
      content: `<@${deployment.requester.id}> ${watchdogText(deployment)}`,
      allowedMentions: { users: [deployment.requester.id] },
      ...(deployment.messageId
        ? { reply: { messageReference: deployment.messageId, failIfNotExists: false } }
        : {}),
    });
  }
}
