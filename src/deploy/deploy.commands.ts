import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { ApprovalService } from '../approval/approval.service';
import { actorFrom } from '../discord/actor';
import { plain } from '../discord/format';
import { Audited } from '../discord/command-audit.interceptor';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { DeployService } from './deploy.service';
import { DeploymentLauncher } from './deployment-launcher';
import { CancelOptions } from './dto/cancel.options';
import { DeployOptions } from './dto/deploy.options';
import { LockOptions, UnlockOptions } from './dto/lock.options';

@Injectable()
@Audited()
export class DeployCommands {
  constructor(
    private readonly deploys: DeployService,
    private readonly approvals: ApprovalService,
    private readonly launcher: DeploymentLauncher,
  ) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'deploy', description: 'Deploy a service to an environment' })
  async deploy(@Context() [interaction]: SlashCommandContext, @Options() options: DeployOptions) {
    // Answer Discord at once; the checks and GitHub calls follow.
    await interaction.deferReply();
    const actor = actorFrom(interaction);
    const prepared = await this.deploys.prepare(actor, {
      service: options.service,
      environment: options.env,
      ref: options.ref ?? undefined,
    });
    await this.launcher.launch(interaction, actor, prepared);
  }

  @SlashCommand({
    name: 'cancel',
    description: 'Cancel a pending approval or a running deployment (requester or admin)',
  })
  async cancel(@Context() [interaction]: SlashCommandContext, @Options() { id }: CancelOptions) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const actor = actorFrom(interaction);
    const deployment = await this.deploys.find(id);
    if (deployment.status === 'pending_approval') {
      const answer = await this.approvals.cancel(actor, deployment.id);
      const content =
        answer.kind === 'info'
          ? answer.message
          : `Request ${deployment.id} cancelled; nothing was dispatched.`;
      return interaction.editReply({ content });
    }
    await this.deploys.cancelRun(actor, deployment);
    return interaction.editReply({
      content: `Cancellation requested: GitHub is stopping run #${deployment.runId}. The deployment's message follows the run to its final status.`,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'lock', description: 'Stop deploys and rollbacks to a target (admin)' })
  async lock(@Context() [interaction]: SlashCommandContext, @Options() options: LockOptions) {
    const lock = await this.deploys.lockTarget(
      actorFrom(interaction),
      options.service,
      options.env,
      options.reason,
    );
    return interaction.reply({
      content: `🔒 ${lock.service} → ${lock.environment} is locked by ${plain(lock.by.name, 60)}: ${plain(lock.reason, 300)}`,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({
    name: 'unlock',
    description: 'Allow deploys and rollbacks to a locked target again (admin)',
  })
  async unlock(@Context() [interaction]: SlashCommandContext, @Options() options: UnlockOptions) {
    const lock = await this.deploys.unlockTarget(
      actorFrom(interaction),
      options.service,
      options.env,
    );
    return interaction.reply({
      content: `🔓 ${lock.service} → ${lock.environment} is unlocked (it was locked by ${plain(lock.by.name, 60)}: ${plain(lock.reason, 300)}).`,
    });
  }
}
