import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Client } from 'discord.js';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppConfig } from '../config/app-config';
import { Deployment, isTerminal } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { LeaseLost, OutboxWorker, Stopping } from '../deployments/outbox-worker';
import { DeploymentOutbox, OutboxClaim, SyncResult, SyncState } from './message-outbox.store';
import { classifyDiscordFailure, UnusableChannelError } from '../discord/discord-failures';
import { ChannelPacer } from './channel-pacer';
import {
  deploymentMessage,
  outcomeAnnouncement,
  watchdogText,
} from '../discord/deployment-views/deployment-message.views';

/** Transient failures are tried this many times, 1 s, 2 s, 4 s … up to a minute apart. */
export const MAX_ATTEMPTS = 12;
const MAX_BACKOFF_MS = 60_000;
/** Then what is left is tried once every this long … */
export const REST_MS = 15 * 60_000;
/** … until the failures have lasted this long: then it is given up on. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

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
 * logged once, and not tried again; a message Discord refuses (400) skips that version only.
 * Discord or database failures that may pass are retried with backoff, then once every 15
 * minutes, and given up on (with a log line) once they have lasted a day: the
 * announcement is then recorded as failed, and the message waits for the deployment's next
 * change. Nothing here can fail the process.
 */
@Injectable()
export class DeploymentMessageListener extends OutboxWorker<OutboxClaim> implements OnModuleInit {
  protected readonly logger = new Logger('DeploymentMessages');
  protected readonly serial = false;
  protected readonly sweep = { everyMs: 1_000, batch: 50 };
  private readonly pacer = new ChannelPacer();

  constructor(
    private readonly events: DeploymentEvents,
    private readonly outbox: DeploymentOutbox,
    private readonly client: Client,
    private readonly config: AppConfig,
    private readonly transitions: DeploymentTransitions,
    clock: Clock,
    instance: Instance,
  ) {
    super(outbox, clock, instance);
  }

  onModuleInit(): void {
    this.events.onAny('deployment message', ({ deployment }) => this.trigger(deployment.id));
  }

  /**
   * Sends what the deployment's Discord side lacks under its lease, renewed once more right
   * before each message it sends: a worker whose lease ran out sends nothing, so two instances
   * never put an older state over a newer.
   */
  protected async sync(
    { deployment, state }: OutboxClaim,
    _owner: string,
    renew: () => Promise<boolean>,
  ): Promise<'caught-up' | 'again' | 'retry'> {
    const result = await this.update(deployment, state, renew);
    if (await this.outbox.finish(deployment.id, state, result)) return 'caught-up';
    return result.retryAt ? 'retry' : 'again';
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
      onGone: (reason: string, kind: 'gone' | 'rejected') => void,
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
          onGone(failure.reason, failure.kind);
        }
      }
    };

    // A deployment started on GitHub, or admitted from a queue, has no command to reply to: its
    // message is posted here.
    if (
      (deployment.origin || deployment.queued || deployment.rollback?.automatic) &&
      deployment.channelId &&
      !deployment.messageId &&
      !deployment.messageLost
    ) {
      await attempt(
        'The message',
        async () => {
          const messageId = await this.postMessage(deployment);
          await this.transitions.attachMessage(deployment.id, deployment.channelId!, messageId);
        },
        (reason, kind) => {
          if (kind === 'gone') result.messageLost = { at: this.clock.now(), reason };
          result.messageVersion = state.version;
        },
      );
    } else if (
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
        (reason, kind) => {
          // Refused (400): this version is skipped, the next change is sent. Gone: never again.
          if (kind === 'gone') result.messageLost = { at: this.clock.now(), reason };
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
    const now = this.clock.now().getTime();
    // Measured from the first failure: changes of the deployment meanwhile do not extend it.
    const failingSince = state.failingSince ?? new Date(now);
    if (attempts < MAX_ATTEMPTS) {
      this.logger.debug(`Will retry the Discord side of ${deployment.id}: ${transient.join('; ')}`);
      return { ...result, retryAt: new Date(now + backoffMs(attempts)), failingSince };
    }
    if (now - failingSince.getTime() < GIVE_UP_AFTER_MS) {
      // Logged once: after that, one more try every REST_MS, until the failures last a day.
      if (attempts === MAX_ATTEMPTS)
        this.logger.warn(
          `The Discord side of ${deployment.id} failed ${attempts} times in a row (${transient.join('; ')}); tried again every ${REST_MS / 60_000} minutes`,
        );
      return { ...result, retryAt: new Date(now + REST_MS), failingSince };
    }
    this.logger.warn(
      `Giving up on the Discord side of ${deployment.id} after a day of failures (${transient.join('; ')}): an announcement not made is recorded as failed, and the message waits for the next change`,
    );
    return {
      ...result,
      gaveUp: true,
      messageVersion: state.version,
      ...(result.announcedAt || state.announcedAt ? {} : { announcementFailed: 'gave up' }),
      watchdogMentionedAt: result.watchdogMentionedAt ?? deployment.watchdogNotifiedAt,
    };
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

  /**
   * Posts the message of a deployment started on GitHub or admitted from a queue. Its nonce, enforced, makes a post
   * repeated after a lost answer (within Discord's few minutes) the same message, not a second.
   */
  private async postMessage(deployment: Deployment): Promise<string> {
    const channel = await this.client.channels.fetch(deployment.channelId!);
    if (!channel?.isSendable())
      throw new UnusableChannelError('the bot cannot post in the channel');
    // A request admitted from the queue mentions its requester, once: this post.
    const requester =
      deployment.queued && /^\d+$/.test(deployment.requester.id)
        ? deployment.requester.id
        : undefined;
    const message = await channel.send({
      ...deploymentMessage(deployment),
      ...(requester
        ? {
            content: `<@${requester}> your queued request ${deployment.queued!.entryId} goes now.`,
            allowedMentions: { users: [requester] },
          }
        : {}),
      nonce: messageNonce(deployment.id),
      enforceNonce: true,
    });
    return message.id;
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
    // A GitHub login not linked to a member is no one to mention.
    if (!deployment.channelId || !/^\d+$/.test(deployment.requester.id)) return;
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

/** A message nonce (at most 25 characters) the deployment's post always carries. */
export function messageNonce(id: string): string {
  return `post-${id}`;
}
