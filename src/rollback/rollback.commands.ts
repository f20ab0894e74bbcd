import { Injectable, UseInterceptors } from '@nestjs/common';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { launchFrom } from '../deploy/deploy.commands';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { RollbackOptions } from './dto/rollback.options';
import { RollbackService } from './rollback.service';

@Injectable()
@Audited()
export class RollbackCommands {
  constructor(
    private readonly rollbacks: RollbackService,
    private readonly launcher: DeploymentLauncher,
  ) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'rollback', description: 'Put back the last build that worked' })
  async rollback(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: RollbackOptions,
  ) {
    await interaction.deferReply();
    const request = await this.rollbacks.plan(actorFrom(interaction), {
      service: options.service,
      environment: options.env ?? undefined,
      to: options.to ?? undefined,
    });
    await launchFrom(interaction, this.launcher, request);
  }
}
