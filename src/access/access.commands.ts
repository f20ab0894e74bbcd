import { Audited } from '../discord/command-audit.interceptor';
import { Injectable } from '@nestjs/common';
import { ChatInputCommandInteraction, GuildMember, MessageFlags, User } from 'discord.js';
import {
  Context,
  createCommandGroupDecorator,
  Options,
  Subcommand,
  type SlashCommandContext,
} from 'necord';
import { actorFrom } from '../discord/actor';
import { AccessService } from './access.service';
import {
  accessListMessage,
  grantedMessage,
  linkedMessage,
  revokedMessage,
  unlinkedMessage,
} from './access.views';
import { GrantOptions, LinkOptions, RevokeOptions, UnlinkOptions } from './dto/access.options';

/** The member the `member` option names, by the name the server shows (nickname first). */
function memberNamed(interaction: ChatInputCommandInteraction, user: User) {
  const member = interaction.options.getMember('member');
  const name =
    member instanceof GuildMember ? member.displayName : (member?.nick ?? user.displayName);
  return { id: user.id, name };
}

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

  @Subcommand({
    name: 'link',
    description: 'Link a member to their GitHub account (they may not approve runs it started)',
  })
  async link(@Context() [interaction]: SlashCommandContext, @Options() options: LinkOptions) {
    const { link, replaced } = await this.access.linkGithub(
      actorFrom(interaction),
      memberNamed(interaction, options.member),
      options.login,
    );
    return interaction.reply({
      content: linkedMessage(link, replaced),
      allowedMentions: { parse: [] },
    });
  }

  @Subcommand({ name: 'unlink', description: "Remove a member's link to a GitHub account" })
  async unlink(@Context() [interaction]: SlashCommandContext, @Options() options: UnlinkOptions) {
    const removed = await this.access.unlinkGithub(actorFrom(interaction), options.member.id);
    return interaction.reply({
      content: unlinkedMessage(removed),
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
