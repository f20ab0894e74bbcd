import { Injectable, UseInterceptors } from '@nestjs/common';
import { ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { AdmittedRequest } from '../admission/admitted-request';
import { approvalNotice } from '../approval/approval.views';
import { deploymentMessage } from '../discord/deployment-views/deployment-message.views';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { CommandTurns, Turn } from '../discord/command-turns';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { CancelService } from './cancel.service';
import { DeployService } from './deploy.service';
import { DeployQueueing } from './deploy-queueing';
import { queuedText } from '../discord/queue-views';
import { DeploymentLauncher } from './deployment-launcher';
import { CancelOptions } from './dto/cancel.options';
import { DeployOptions } from './dto/deploy.options';

/**
 * Launches an admitted request from a slash command: the deferred reply becomes the
 * deployment's message, and then the command's turn is given back (the dispatch that may follow
 * goes at GitHub's pace). /rollback ends the same way.
 */
export function launchFrom(
  interaction: ChatInputCommandInteraction,
  launcher: DeploymentLauncher,
  request: AdmittedRequest,
  turn: Turn,
) {
  return launcher.launch(request, async (deployment) => {
    const message = await interaction.editReply(deploymentMessage(deployment));
    turn.release();
    return { channelId: message.channelId, messageId: message.id };
  });
}

@Injectable()
@Audited()
export class DeployCommands {
  constructor(
    private readonly deploys: DeployService,
    private readonly cancels: CancelService,
    private readonly launcher: DeploymentLauncher,
    private readonly queueing: DeployQueueing,
    private readonly turns: CommandTurns,
  ) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'deploy', description: 'Deploy a service to an environment' })
  async deploy(@Context() [interaction]: SlashCommandContext, @Options() options: DeployOptions) {
    const actor = actorFrom(interaction);
    const asked = {
      service: options.service,
      environment: options.env,
      ref: options.ref ?? undefined,
      ...(options.hotfix ? { hotfix: true } : {}),
    };
    if (options.queue) {
      // Queued: the answer is for the member alone; the deployment gets its own message later.
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const { entry, position } = await this.queueing.enqueue(actor, asked, interaction.channelId);
      return interaction.editReply({ content: queuedText(entry, position) });
    }
    // Answer Discord at once; the checks and GitHub calls follow, in this command's turn.
    await interaction.deferReply();
    const turn = await this.turns.take();
    try {
      const request = await this.deploys.prepare(actor, asked);
      await launchFrom(interaction, this.launcher, request, turn);
      turn.release();
    } catch (error) {
      this.turns.handOver(interaction, turn);
      // A refusal a queue could wait out comes with "Queue it" under it.
      throw await this.queueing.offer(error, actor, asked, interaction.channelId);
    }
  }

  @SlashCommand({
    name: 'cancel',
    description: 'Cancel a pending approval or a running deployment (requester or admin)',
  })
  async cancel(@Context() [interaction]: SlashCommandContext, @Options() { id }: CancelOptions) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const outcome = await this.cancels.cancel(actorFrom(interaction), id);
    if (outcome.kind === 'run')
      return interaction.editReply({
        content: `Cancellation requested: GitHub is stopping run #${outcome.deployment.runId}. The deployment's message follows the run to its final status.`,
      });
    if (outcome.kind === 'queued')
      return interaction.editReply({
        content: `Request ${outcome.entry.id} taken out of the queue of ${outcome.entry.service} → ${outcome.entry.environment}; nothing was dispatched.`,
      });
    if (outcome.kind === 'gated')
      return interaction.editReply({
        content: `Request ${outcome.deployment.id} cancelled at the CI gate; nothing was dispatched.`,
      });
    const { answer } = outcome;
    const content =
      answer.kind === 'decided' || answer.kind === 'approved-already'
        ? approvalNotice(answer)
        : `Request ${answer.deployment.id} cancelled; nothing was dispatched.`;
    return interaction.editReply({ content });
  }
}
