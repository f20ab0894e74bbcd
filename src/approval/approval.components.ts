import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Button, type ButtonContext, Context } from 'necord';
import { DispatchService } from '../deploy/dispatch.service';
import { deploymentMessage } from '../deploy/deploy.views';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { APPROVAL_BUTTON_ROUTE, parseApprovalButtonId } from './approval.ids';
import { UnknownRequestError } from './approval.errors';
import { ApprovalService } from './approval.service';

/** Approve and Cancel: permissions are checked at click time, from the clicker's roles now. */
@Injectable()
@Audited()
export class ApprovalComponents {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly dispatcher: DispatchService,
  ) {}

  @Button(APPROVAL_BUTTON_ROUTE)
  async onClick(@Context() [interaction]: ButtonContext) {
    const parsed = parseApprovalButtonId(interaction.customId);
    if (!parsed) throw new UnknownRequestError();
    const actor = actorFrom(interaction);
    const answer =
      parsed.action === 'approve'
        ? await this.approvals.approve(actor, parsed.id)
        : await this.approvals.cancel(actor, parsed.id);
    switch (answer.kind) {
      case 'approved':
        // Acknowledge first; the message follows the deployment from here on.
        await interaction.deferUpdate();
        await this.dispatcher.dispatchApproved(answer.deployment);
        return;
      case 'changed':
        return interaction.update(deploymentMessage(answer.deployment));
      case 'info':
        return interaction.reply({ content: answer.message, flags: MessageFlags.Ephemeral });
    }
  }
}
