import { Audited } from '../discord/command-audit.interceptor';
import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { MessageFlags } from 'discord.js';
import { Connection } from 'mongoose';
import { Context, SlashCommand, type SlashCommandContext } from 'necord';
import { DatabaseUnavailableError } from '../../libs/errors';

@Injectable()
@Audited()
export class PingCommands {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  @SlashCommand({ name: 'ping', description: 'Check that the bot and its database answer' })
  async ping(@Context() [interaction]: SlashCommandContext) {
    const started = Date.now();
    try {
      await this.connection.db!.admin().ping({ maxTimeMS: 1_000 });
    } catch {
      throw new DatabaseUnavailableError();
    }
    return interaction.reply({
      content: `Pong. Database answered in ${Date.now() - started} ms; gateway latency ${interaction.client.ws.ping} ms.`,
      flags: MessageFlags.Ephemeral,
    });
  }
}
