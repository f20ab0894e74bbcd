import { Injectable } from '@nestjs/common';
import type { ChatInputCommandInteraction } from 'discord.js';
import type { Actor } from '../access/actor';
import { ApprovalService } from '../approval/approval.service';
import { DeployService, PreparedDeploy } from './deploy.service';
import { deploymentMessage } from './deploy.views';
import { DispatchService } from './dispatch.service';

/**
 * The end of /deploy and /rollback: a protected target gets an approval request, anything else
 * is dispatched now; either way the deferred reply becomes the deployment's message.
 */
@Injectable()
export class DeploymentLauncher {
  constructor(
    private readonly deploys: DeployService,
    private readonly approvals: ApprovalService,
    private readonly dispatcher: DispatchService,
  ) {}

  async launch(
    interaction: ChatInputCommandInteraction,
    actor: Actor,
    prepared: PreparedDeploy,
  ): Promise<void> {
    const deployment = prepared.protected
      ? await this.approvals.open(actor, prepared)
      : await this.deploys.admit(actor, prepared);
    const message = await interaction.editReply(deploymentMessage(deployment));
    await this.deploys.attachMessage(deployment.id, message.channelId, message.id);
    if (deployment.status === 'dispatching') await this.dispatcher.dispatch(deployment);
  }
}
