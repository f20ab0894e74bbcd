import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { withinLimits } from '../discord/limits';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { Audited } from '../discord/command-audit.interceptor';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { HistoryOptions, StatusOptions } from './dto/status.options';
import { StatusService } from './status.service';
import { historyEmbed, statusEmbed } from './status.views';

@Injectable()
@Audited()
export class StatusCommands {
  constructor(private readonly status: StatusService) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'history', description: 'Recent deployments of a service, newest first' })
  async history(@Context() [interaction]: SlashCommandContext, @Options() options: HistoryOptions) {
    const env = options.env ?? undefined;
    const { service, deployments } = await this.status.history(
      options.service,
      env,
      options.limit ?? 10,
    );
    return interaction.reply(
      withinLimits({
        embeds: [historyEmbed(service, env, deployments)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'status', description: 'What runs where, what is moving, and any lock' })
  async show(@Context() [interaction]: SlashCommandContext, @Options() options: StatusOptions) {
    const { service, environments, tracking } = await this.status.status(options.service);
    return interaction.reply(
      withinLimits({
        embeds: [statusEmbed(service, environments, tracking)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }
}
