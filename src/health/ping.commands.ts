import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, SlashCommand, type SlashCommandContext } from 'necord';
import { DatabasePing } from '../database/database-ping';
import { Audited } from '../discord/command-audit.interceptor';

@Injectable()
@Audited()
export class PingCommands {
  constructor(private readonly database: DatabasePing) {}

  @SlashCommand({ name: 'ping', description: 'Check that the bot and its database answer' })
  async ping(@Context() [interaction]: SlashCommandContext) {
    const ms = await this.database.ping();
    return interaction.reply({
      content: `Pong. Database answered in ${ms} ms; gateway latency ${interaction.client.ws.ping} ms.`,
      flags: MessageFlags.Ephemeral,
    });
  }
}
