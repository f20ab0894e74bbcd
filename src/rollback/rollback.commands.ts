import { Injectable, UseInterceptors } from '@nestjs/common';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { launchFrom } from '../deploy/deploy.commands';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { CommandTurns } from '../discord/command-turns';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { RollbackOptions } from './dto/rollback.options';
import { RollbackService } from './rollback.service';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';

@Injectable()
@Audited()
export class RollbackCommands {
  constructor(
    private readonly rollbacks: RollbackService,
    private readonly launcher: DeploymentLauncher,
    private readonly schedule: TargetSchedule,
    private readonly turns: CommandTurns,
  ) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'rollback', description: 'Put back the last build that worked' })
  async rollback(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: RollbackOptions,
  ) {
    await interaction.deferReply();
    const turn = await this.turns.take();
    let closure: Awaited<ReturnType<TargetSchedule['closure']>>;
    try {
      const request = await this.rollbacks.plan(actorFrom(interaction), {
        service: options.service,
        environment: options.env ?? undefined,
        to: options.to ?? undefined,
      });
      // Read before the launch: the freeze or window the rollback goes through, said out loud.
      closure = await this.schedule.closure(request.draft.service, request.draft.environment);
      await launchFrom(interaction, this.launcher, request, turn);
      turn.release();
    } catch (error) {
      this.turns.handOver(interaction, turn);
      throw error;
    }
    if (closure)
      await interaction.followUp({
        content:
          `↩️ Allowed although ${closure.kind === 'freeze' ? 'the target is frozen' : 'the target is outside its deploy window'}: rollbacks restore a version that ran there, so freezes and windows never stop them. (${closure.error.message})`.slice(
            0,
            2_000,
          ),
      });
  }
}
