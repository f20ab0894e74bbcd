import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, SlashCommand, type SlashCommandContext } from 'necord';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { DatabasePing } from '../database/database-ping';
import { Audited } from '../discord/command-audit.interceptor';
import { Heartbeat } from '../instances/heartbeat';
import { pingAnswer } from './ping.views';

@Injectable()
@Audited()
export class PingCommands {
  constructor(
    private readonly database: DatabasePing,
    private readonly heartbeat: Heartbeat,
    private readonly instance: Instance,
    private readonly clock: Clock,
  ) {}

  @SlashCommand({
    name: 'ping',
    description: 'Check that the bot and its database answer, and which instances are alive',
  })
  async ping(@Context() [interaction]: SlashCommandContext) {
    const databaseMs = await this.database.ping();
    const alive = await this.heartbeat.alive();
    return interaction.reply({
      content: pingAnswer({
        instance: this.instance,
        databaseMs,
        gatewayMs: interaction.client.ws.ping,
        alive,
        now: this.clock.now(),
      }),
      flags: MessageFlags.Ephemeral,
    });
  }
}
