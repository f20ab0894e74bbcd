import { Injectable, UseInterceptors } from '@nestjs/common';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { plain } from '../discord/format';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { LockOptions, UnlockOptions } from './dto/lock.options';
import { TargetLocksService } from './target-locks.service';

@Injectable()
@Audited()
export class TargetLocksCommands {
  constructor(private readonly locks: TargetLocksService) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'lock', description: 'Stop deploys and rollbacks to a target (admin)' })
  async lock(@Context() [interaction]: SlashCommandContext, @Options() options: LockOptions) {
    const lock = await this.locks.lock(
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
    const lock = await this.locks.unlock(actorFrom(interaction), options.service, options.env);
    return interaction.reply({
      content: `🔓 ${lock.service} → ${lock.environment} is unlocked (it was locked by ${plain(lock.by.name, 60)}: ${plain(lock.reason, 300)}).`,
    });
  }
}
