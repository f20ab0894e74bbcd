import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BaseInteraction, Client, Events, Guild, MessageFlags } from 'discord.js';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { onBehalfOf } from '../github/member-context';
import { CommandAudit } from './command-audit.interceptor';

export class ForeignGuildError extends AppError {
  constructor() {
    super('ACCESS.FOREIGN_GUILD', 'This bot only works in its home server.', 403);
  }
}

/**
 * The one door every interaction passes before any handler, guard or audit interceptor runs:
 * only interactions from the home server (GUILD_ID) reach the handlers. Anything from another
 * server, or from a direct message, is answered "this bot only works in its home server",
 * audited as refused, and changes nothing.
 *
 * Necord subscribes its handlers to the client's `interactionCreate` event, so the gate sits in
 * front of that event's emission: an interaction it refuses is never emitted.
 */
@Injectable()
export class InteractionGate implements OnModuleInit {
  private readonly logger = new Logger('Discord');

  constructor(
    private readonly client: Client,
    private readonly config: AppConfig,
    private readonly audit: CommandAudit,
  ) {}

  onModuleInit(): void {
    const emit = this.client.emit.bind(this.client) as (
      event: string,
      ...args: unknown[]
    ) => boolean;
    (this.client as { emit: (event: string, ...args: unknown[]) => boolean }).emit = (
      event,
      ...args
    ) => {
      if (event !== Events.InteractionCreate) return emit(event, ...args);
      const interaction = args[0] as BaseInteraction;
      this.admit(interaction)
        .then((admitted) => {
          // Every GitHub request its handlers cause is charged to the member who acted.
          if (admitted) onBehalfOf(interaction.user.id, () => emit(event, ...args));
        })
        .catch((error: Error) =>
          this.logger.error(
            `Interaction ${interaction.id} could not be admitted: ${error.message}`,
          ),
        );
      return true;
    };
    this.client.on(Events.ClientReady, () => this.warnAboutOtherGuilds());
    this.client.on(Events.GuildCreate, (guild) => this.warnIfForeign(guild));
  }

  /** True when the interaction may reach the handlers; otherwise it has been answered. */
  async admit(interaction: BaseInteraction): Promise<boolean> {
    if (interaction.guildId === this.config.discord.guildId) return true;
    await this.refuseForeign(interaction);
    return false;
  }

  private async refuseForeign(interaction: BaseInteraction): Promise<void> {
    const error = new ForeignGuildError();
    this.audit.record(interaction, 0, 'refused', error.code, error.message);
    try {
      if (interaction.isAutocomplete()) await interaction.respond([]);
      else if (interaction.isRepliable())
        await interaction.reply({ content: error.message, flags: MessageFlags.Ephemeral });
    } catch (replyError) {
      this.logger.debug(`Could not answer a foreign interaction: ${(replyError as Error).message}`);
    }
  }

  private warnAboutOtherGuilds(): void {
    const home = this.config.discord.guildId;
    if (!this.client.guilds.cache.has(home)) {
      this.logger.warn(
        `The bot is not in its home server GUILD_ID ${home}: invite it there (see the README); until then every command is refused.`,
      );
    }
    for (const guild of this.client.guilds.cache.values()) this.warnIfForeign(guild);
  }

  private warnIfForeign(guild: Guild): void {
    if (guild.id === this.config.discord.guildId) return;
    this.logger.warn(
      `The bot is also in server "${guild.name.slice(0, 100)}" (${guild.id}), which is not GUILD_ID: ` +
        'it refuses every interaction there. Turn off "Public Bot" in the Developer Portal and remove the bot from that server.',
    );
  }
}
