import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, Options, SlashCommand, type SlashCommandContext, Subcommand } from 'necord';
import { fitLines } from '../../libs/text';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { discordTime } from '../discord/format';
import { LIMITS } from '../discord/limits';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { ServiceGroup } from '../service-registry/service.commands';
import {
  FreezeOptions,
  UnfreezeOptions,
  WindowAddOptions,
  WindowListOptions,
  WindowRemoveOptions,
} from './dto/schedule.options';
import { freezeText } from './schedule.errors';
import { closedText, closesText, TargetSchedule, windowLine } from './target-schedule.service';
import { localTime } from './window-rules';

/** /freeze and /unfreeze: an admin stops deploys to every matching target, for a while. */
@Injectable()
@Audited()
export class FreezeCommands {
  constructor(private readonly schedule: TargetSchedule) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({
    name: 'freeze',
    description: 'Stop deploys to an environment (or all), until lifted (admin)',
  })
  async freeze(@Context() [interaction]: SlashCommandContext, @Options() options: FreezeOptions) {
    const freeze = await this.schedule.freeze(actorFrom(interaction), {
      environment: options.env,
      reason: options.reason,
      service: options.service ?? undefined,
      until: options.until ?? undefined,
    });
    const ends = freeze.until ? ` It lifts itself ${discordTime(freeze.until, 'R')}.` : '';
    return interaction.reply({
      content: `🧊 ${freezeText(freeze)}.${ends} Deploys, approvals and dispatches stop there; rollbacks are still allowed; queued requests wait.`,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({ name: 'unfreeze', description: 'Lift a freeze early (admin)' })
  async unfreeze(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: UnfreezeOptions,
  ) {
    const lifted = await this.schedule.unfreeze(
      actorFrom(interaction),
      options.env,
      options.service ?? undefined,
    );
    return interaction.reply({
      content: `Freeze lifted (it read: ${freezeText(lifted)}). Queued requests go in order; a request that was overridden past it still needs its approval.`,
    });
  }
}

/** /service window add|remove|list: a target's scheduled deny and allow windows. */
@Injectable()
@Audited()
@ServiceGroup({ name: 'window', description: "A target's deploy windows" })
export class WindowCommands {
  constructor(private readonly schedule: TargetSchedule) {}

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({ name: 'add', description: 'Add a deny or allow window to a target (admin)' })
  async add(@Context() [interaction]: SlashCommandContext, @Options() options: WindowAddOptions) {
    // Checking that a deny window ever opens walks its next year: answer Discord first.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { window, next } = await this.schedule.addWindow(actorFrom(interaction), {
      service: options.service,
      environment: options.env,
      kind: options.kind,
      cron: options.cron,
      duration: options.duration,
      timeZone: options.timezone,
    });
    const spans = next.map(
      (span) =>
        `• ${localTime(span.start, window.timeZone)} → ${localTime(span.end, window.timeZone)}`,
    );
    return interaction.editReply({
      content: `Window added to ${window.service} → ${window.environment}: ${windowLine(window)}.\nNext:\n${spans.join('\n')}`,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({ name: 'remove', description: 'Remove a window from a target (admin)' })
  async remove(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: WindowRemoveOptions,
  ) {
    const removed = await this.schedule.removeWindow(
      actorFrom(interaction),
      options.service,
      options.env,
      options.id,
    );
    return interaction.reply({
      content: `Window removed from ${removed.service} → ${removed.environment}: ${windowLine(removed)}.`,
      flags: MessageFlags.Ephemeral,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({ name: 'list', description: "A target's windows, and whether it is open now" })
  async list(@Context() [interaction]: SlashCommandContext, @Options() options: WindowListOptions) {
    const env = options.env.trim().toLowerCase();
    const view = await this.schedule.viewOf(options.service, env);
    const lines = view.windows.map((window) => `• ${windowLine(window)}`);
    const now = view.state.open
      ? `Open now${closesText(view.state, discordTime)}.`
      : `Closed now: ${closedText(view.state)}.`;
    const freezes = view.freezes.map((freeze) => `🧊 ${freezeText(freeze)}`);
    const body = fitLines(
      [now, ...freezes, ...(lines.length ? lines : ['No windows: deploys at any time.'])],
      LIMITS.content - 200,
      (n) => `… and ${n} more`,
    );
    return interaction.reply({
      content: `Windows of ${options.service.slice(0, 63)} → ${env.slice(0, 32)}\n${body}`,
      flags: MessageFlags.Ephemeral,
    });
  }
}
