import { Injectable } from '@nestjs/common';
import {
  ActionRowBuilder,
  MessageFlags,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { Button, type ButtonContext, Context, Modal, type ModalContext } from 'necord';
import {
  GATE_BUTTON_ROUTE,
  GATE_REASON_INPUT,
  gateControlId,
  parseGateControlId,
} from '../discord/deployment-views/gate-buttons';
import { deploymentMessage } from '../discord/deployment-views/deployment-message.views';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { UnknownComponentError } from '../discord/discord.errors';
import { OVERRIDE_REASON } from './ci-gate.service';
import { CiGateActions } from './ci-gate.actions';

/**
 * "Deploy anyway" and "Cancel" on a request the CI gate holds. Deploy anyway opens a form asking
 * for the reason; submitting it is the override (checked then, from the member's roles now). The
 * click and the submission are audited, the reason with it.
 */
@Injectable()
@Audited()
export class CiGateComponents {
  constructor(private readonly gate: CiGateActions) {}

  @Button(GATE_BUTTON_ROUTE)
  async onClick(@Context() [interaction]: ButtonContext) {
    const parsed = parseGateControlId(interaction.customId);
    if (!parsed || parsed.action === 'reason') throw new UnknownComponentError();
    if (parsed.action === 'cancel') {
      const cancelled = await this.gate.cancel(actorFrom(interaction), parsed.id);
      return interaction.update(deploymentMessage(cancelled));
    }
    await this.gate.requireOverrider(actorFrom(interaction), parsed.id);
    return interaction.showModal(
      new ModalBuilder()
        .setCustomId(gateControlId(parsed.id, 'reason'))
        .setTitle(`Deploy ${parsed.id} past the CI gate`)
        .addComponents(
          new ActionRowBuilder<TextInputBuilder>().addComponents(
            new TextInputBuilder()
              .setCustomId(GATE_REASON_INPUT)
              .setLabel('Why deploy although CI has not passed?')
              .setStyle(TextInputStyle.Paragraph)
              .setRequired(true)
              .setMinLength(OVERRIDE_REASON.min)
              .setMaxLength(OVERRIDE_REASON.max),
          ),
        ),
    );
  }

  @Modal(GATE_BUTTON_ROUTE)
  async onReason(@Context() [interaction]: ModalContext) {
    const parsed = parseGateControlId(interaction.customId);
    if (!parsed || parsed.action !== 'reason') throw new UnknownComponentError();
    const reason = interaction.fields.getTextInputValue(GATE_REASON_INPUT);
    // Opening the approval request asks GitHub what would change: more than Discord's 3 s.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const deployment = await this.gate.override(actorFrom(interaction), parsed.id, reason);
    return interaction.editReply({
      content: `${deployment.id} goes past the CI gate: ${deployment.status === 'pending_approval' ? 'it now needs its approvals' : 'dispatching'}.`,
    });
  }
}
