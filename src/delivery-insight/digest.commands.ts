import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, Options, Subcommand, type SlashCommandContext } from 'necord';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { withinLimits } from '../discord/limits';
import { discordTime, plain } from '../discord/format';
import { channelChoice } from '../service-registry/dto/service-settings.options';
import { digestDueAfter, digestText } from '../service-registry/digest-settings';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { ServiceGroup } from '../service-registry/service.commands';
import { ServiceSettingsService } from '../service-registry/service-settings.service';
import { ServiceDigestOptions } from './dto/digest.options';

/** `/service digest`: where and when the weekly delivery digest of a service is posted. */
@Injectable()
@Audited()
@ServiceGroup()
export class DigestCommands {
  constructor(private readonly settings: ServiceSettingsService) {}

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'digest',
    description: 'Post the delivery metrics to a channel once a week (admin)',
  })
  async digest(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceDigestOptions,
  ) {
    const service = await this.settings.setDigest(actorFrom(interaction), options.name, {
      channel: await channelChoice(interaction),
      day: options.day ?? undefined,
      time: options.time ?? undefined,
      timeZone: options.timezone ?? undefined,
      off: options.off ?? undefined,
    });
    const name = plain(service.name, 63);
    const digest = service.digest;
    const next = digest && digestDueAfter(digest, new Date(digest.since));
    return interaction.reply(
      withinLimits({
        content: digest
          ? `The weekly digest of ${name} goes to <#${digest.channelId}> every ${digestText(digest)}: the last 7 days against the 7 before. The first: ${discordTime(next)}.`
          : `${name} has no weekly digest any more.`,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      }),
    );
  }
}
