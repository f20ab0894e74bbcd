import { Injectable } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Button, type ButtonContext, Context } from 'necord';
import { AppError } from '../../libs/errors';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { FAULT_BUTTON_ROUTE, parseFaultButtonId } from '../discord/deployment-views/fault-buttons';
import { plain } from '../discord/format';
import { FaultReportsService } from './fault-reports.service';

/** "Report faulty": checked from the clicker's roles at click time; the message follows the record. */
@Injectable()
@Audited()
export class FaultComponents {
  constructor(private readonly faults: FaultReportsService) {}

  @Button(FAULT_BUTTON_ROUTE)
  async onClick(@Context() [interaction]: ButtonContext) {
    const parsed = parseFaultButtonId(interaction.customId);
    if (!parsed) throw new AppError('FAULT.UNKNOWN', 'That button is not known.', 400);
    const deployment = await this.faults.report(actorFrom(interaction), parsed.id);
    return interaction.reply({
      content: `${deployment.id} (${plain(deployment.service, 63)} → ${plain(deployment.environment, 32)}) is reported faulty: the delivery metrics count it as a failed change.`,
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  }
}
