import { Injectable, UseInterceptors } from '@nestjs/common';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { ApprovalService } from '../approval/approval.service';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { DeployService } from './deploy.service';
import { deploymentMessage } from './deploy.views';
import { DispatchService } from './dispatch.service';
import { DeployOptions } from './dto/deploy.options';

@Injectable()
@Audited()
export class DeployCommands {
  constructor(
    private readonly deploys: DeployService,
    private readonly approvals: ApprovalService,
    private readonly dispatcher: DispatchService,
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
    // A protected target gets an approval request; anything else is dispatched now.
    const deployment = prepared.protected
      ? await this.approvals.open(actor, prepared)
      : await this.deploys.admit(actor, prepared);
    const message = await interaction.editReply(deploymentMessage(deployment));
    await this.deploys.attachMessage(deployment.id, message.channelId, message.id);
    if (deployment.status === 'dispatching') await this.dispatcher.dispatch(deployment);
  }
}
