import { Audited } from '../discord/command-audit.interceptor';
import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import {
  Context,
  createCommandGroupDecorator,
  Options,
  Subcommand,
  type SlashCommandContext,
} from 'necord';
import { actorFrom } from '../discord/actor';
import { AccessService } from './access.service';
import { accessListMessage, grantedMessage, revokedMessage } from './access.views';
import { GrantOptions, RevokeOptions } from './dto/access.options';

const AccessGroup = createCommandGroupDecorator({
  name: 'access',
  description: 'Who may deploy, approve and administer',
});

@Injectable()
@Audited()
@AccessGroup()
export class AccessCommands {
  constructor(private readonly access: AccessService) {}

  @Subcommand({
    name: 'grant',
    description: 'Give a role admin or deployer rights (optionally per environment)',
  })
  async grant(@Context() [interaction]: SlashCommandContext, @Options() options: GrantOptions) {
    const grant = await this.access.grant(
      actorFrom(interaction),
      {
        id: options.role.id,
        name: options.role.name,
        everyone: options.role.id === interaction.guildId,
      },
      options.level,
      options.envs,
    );
    return interaction.reply({ content: grantedMessage(grant), allowedMentions: { parse: [] } });
  }

  @Subcommand({ name: 'revoke', description: "Remove a role's grant" })
  async revoke(@Context() [interaction]: SlashCommandContext, @Options() options: RevokeOptions) {
    await this.access.revoke(actorFrom(interaction), {
      id: options.role.id,
      name: options.role.name,
    });
    return interaction.reply({
      content: revokedMessage(options.role.id),
      allowedMentions: { parse: [] },
    });
  }

  @Subcommand({ name: 'list', description: 'Show who may do what' })
  async list(@Context() [interaction]: SlashCommandContext) {
    return interaction.reply({
      content: accessListMessage(await this.access.list()),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  }
}
