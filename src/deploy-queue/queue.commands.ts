import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { codeSpan, fitLines, plainText } from '../../libs/text';
import { QueueStore } from '../admission/queue.store';
import { Audited } from '../discord/command-audit.interceptor';
import { discordTime } from '../discord/format';
import { LIMITS } from '../discord/limits';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { QueueOptions } from './dto/queue.options';
import { QueueAdmitter } from './queue-admitter';

/** /queue: a target's line of waiting requests, in order, and what it waits for. */
@Injectable()
@Audited()
export class QueueCommands {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly queue: QueueStore,
    private readonly admitter: QueueAdmitter,
  ) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({
    name: 'queue',
    description: "A target's queue: who waits, in which order, and why",
  })
  async show(@Context() [interaction]: SlashCommandContext, @Options() options: QueueOptions) {
    const environment = options.env.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(options.service, environment);
    const target = { service: service.name, environment };
    const [{ queued, turn }, blocker] = await Promise.all([
      this.queue.listFor(target),
      this.admitter.blockerOf(target),
    ]);
    const head = `Queue of ${service.name} → ${environment}`;
    const lines: string[] = [];
    if (turn)
      lines.push(
        turn.phase === 'admitted'
          ? `Now: ${turn.entryId}, admitted as ${turn.deploymentId}; the next goes once it ends.`
          : `Now: ${turn.entryId} is being admitted.`,
      );
    if (queued.length === 0) lines.push('Nobody waits.');
    else
      lines.push(
        blocker ? `Waiting for: ${blocker}` : 'The target is free: the next goes in a moment.',
      );
    queued.forEach((entry, i) =>
      lines.push(
        `${i + 1}. ${entry.id} ${entry.ref ? codeSpan(entry.ref, 60) : 'default ref'} by ${plainText(entry.requester.name, 40)}, queued ${discordTime(entry.queuedAt, 'R')}, expires ${discordTime(entry.expiresAt, 'R')}`,
      ),
    );
    const body = fitLines(lines, LIMITS.content - head.length - 10, (n) => `… and ${n} more`);
    return interaction.reply({ content: `${head}\n${body}`, flags: MessageFlags.Ephemeral });
  }
}
