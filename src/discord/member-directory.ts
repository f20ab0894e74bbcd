import { Injectable } from '@nestjs/common';
import { Client, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { Actor } from '../../libs/people';
import { AppConfig } from '../config/app-config';

/**
 * A member of the home server as Discord knows them now, for work done long after their command
 * (a queued request admitted hours later): their roles are read afresh, never remembered.
 */
@Injectable()
export class MemberDirectory {
  constructor(
    private readonly client: Client,
    private readonly config: AppConfig,
  ) {}

  /** The member as an actor with their current roles; undefined when they left the server. */
  async actorOf(userId: string): Promise<Actor | undefined> {
    const guildId = this.config.discord.guildId;
    try {
      const guild = await this.client.guilds.fetch(guildId);
      const member = await guild.members.fetch({ user: userId, force: true });
      return {
        id: member.id,
        name: member.user.username,
        guildId,
        roleIds: [...member.roles.cache.keys()].filter((id) => id !== guildId),
        // Discord's Administrator permission counts only for the first-run bootstrap.
        guildAdministrator: false,
      };
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.UnknownMember ||
          error.code === RESTJSONErrorCodes.UnknownUser)
      )
        return undefined;
      throw error;
    }
  }
}
