import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Button, type ButtonContext, Context } from 'necord';
import {
  APPROVAL_BUTTON_ROUTE,
  parseApprovalButtonId,
} from '../discord/deployment-views/approval-buttons';
import { deploymentMessage } from '../discord/deployment-views/deployment-message.views';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { DispatchService } from '../dispatch/dispatch.service';
import { UnknownRequestError } from './approval.errors';
import { ApprovalService } from './approval.service';
import { approvalNotice } from './approval.views';

/**
 * Approve and Cancel on a request's message: permissions are checked at click time, from the
 * clicker's roles now. A click that changes the request updates the message in its answer; the
 * decisive approval is acknowledged at once and the message follows the dispatch.
 */
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
        await interaction.deferUpdate();
        await this.dispatcher.dispatchApproved(answer.deployment, answer.leaseOwner);
        return;
      case 'changed':
        return interaction.update(deploymentMessage(answer.deployment));
      default:
        return interaction.reply({
          content: approvalNotice(answer),
          flags: MessageFlags.Ephemeral,
        });
    }
  }
}
