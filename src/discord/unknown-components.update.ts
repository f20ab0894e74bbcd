import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, type ContextOf, MessageComponentsService, On } from 'necord';
import { UnknownComponentError } from './discord.errors';
import { CommandAudit } from './command-audit.interceptor';

/** A click on a component no handler knows (a forged or outdated custom id) still gets an answer, and is audited. */
@Injectable()
export class UnknownComponentsUpdate {
  constructor(
    private readonly components: MessageComponentsService,
    private readonly commandAudit: CommandAudit,
  ) {}

  @On('interactionCreate')
  async onInteraction(@Context() [interaction]: ContextOf<'interactionCreate'>) {
    if (!interaction.isMessageComponent()) return;
    if (this.components.get(interaction.componentType, interaction.customId)) return;
    const error = new UnknownComponentError();
    await interaction.reply({ content: error.message, flags: MessageFlags.Ephemeral });
    this.commandAudit.record(interaction, 0, 'refused', error.code, error.message);
  }
}
