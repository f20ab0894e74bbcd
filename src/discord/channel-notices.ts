import { Injectable } from '@nestjs/common';
import { Client, type MessageCreateOptions } from 'discord.js';
import { truncate } from '../../libs/text';
import { classifyDiscordFailure, UnusableChannelError } from './discord-failures';
import { LIMITS } from './limits';

/** How posting a notice went: sent, worth another try later, or never going to work. */
export type NoticeOutcome = { sent: true } | { sent: false; retry: boolean; reason: string };

/** Short notices to a channel that mention at most one member or the given roles (nobody else). */
@Injectable()
export class ChannelNotices {
  constructor(private readonly client: Client) {}

  /**
   * A message of embeds and files that mentions no one. With `nonce`, Discord keeps it unique
   * for a few minutes (enforced): a post repeated after a lost answer is the same message.
   */
  postMessage(
    channelId: string,
    message: Pick<MessageCreateOptions, 'embeds' | 'files'>,
    nonce?: string,
  ): Promise<NoticeOutcome> {
    return this.send(channelId, {
      ...message,
      allowedMentions: { parse: [] },
      ...(nonce ? { nonce, enforceNonce: true } : {}),
    });
  }

  post(
    channelId: string,
    content: string,
    mention?: string,
    roles: string[] = [],
  ): Promise<NoticeOutcome> {
    return this.send(channelId, {
      content: truncate(content, LIMITS.content),
      allowedMentions: { users: mention ? [mention] : [], roles },
    });
  }

  /** Sends to the channel; a failure is told, never thrown. */
  private async send(channelId: string, message: MessageCreateOptions): Promise<NoticeOutcome> {
    try {
      const channel = await this.client.channels.fetch(channelId);
      if (!channel?.isSendable())
        throw new UnusableChannelError('the bot cannot post in the channel');
      await channel.send(message);
      return { sent: true };
    } catch (error) {
      const failure = classifyDiscordFailure(error);
      return { sent: false, retry: failure.kind === 'transient', reason: failure.reason };
    }
  }
}
