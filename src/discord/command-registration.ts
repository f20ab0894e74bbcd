import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  ApplicationCommandData,
  ApplicationCommandManager,
  ApplicationIntegrationType,
  Client,
  Events,
  InteractionContextType,
} from 'discord.js';
import { CommandsService } from 'necord';
import { AppConfig } from '../config/app-config';

/**
 * Registers the slash commands in the home server only, as guild commands usable in a server
 * where the bot is installed (never in DMs or as a user-installed app), and removes any global
 * commands of the application: a global command, left by an earlier version, can be used from
 * any server the bot is in. Registration is a PUT of the whole list, so repeating it (a restart,
 * a second instance) changes nothing.
 */
@Injectable()
export class CommandRegistration implements OnModuleInit {
  private readonly logger = new Logger('Commands');

  constructor(
    private readonly client: Client,
    private readonly commands: CommandsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.client.once(Events.ClientReady, () => void this.register());
  }

  /** Every command, as the bot defines it. */
  definitions(): ApplicationCommandData[] {
    return this.commands
      .getCommands()
      .flatMap((command) => command.toJSON() as ApplicationCommandData)
      .map((definition) => ({
        ...definition,
        contexts: [InteractionContextType.Guild],
        integrationTypes: [ApplicationIntegrationType.GuildInstall],
      }));
  }

  /** The definitions exactly as they are sent to Discord (discord.js's own transformation). */
  payloads(): unknown[] {
    // Public at run time, marked private in discord.js's typings.
    const manager = ApplicationCommandManager as unknown as {
      transformCommand(definition: ApplicationCommandData): unknown;
    };
    return this.definitions().map((definition) => manager.transformCommand(definition));
  }

  async register(): Promise<void> {
    try {
      const application = this.client.application!;
      if (application.partial) await application.fetch();
      await application.commands.set(this.definitions(), this.config.discord.guildId);
      await application.commands.set([]);
      this.logger.log(`Registered ${this.definitions().length} commands in the home server`);
    } catch (error) {
      // The commands registered last time stay in place; the next start tries again.
      this.logger.error(`Registering the slash commands failed: ${(error as Error).message}`);
    }
  }
}
