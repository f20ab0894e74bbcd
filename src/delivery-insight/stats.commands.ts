import { Injectable, UseInterceptors } from '@nestjs/common';
import { AttachmentBuilder, MessageFlags } from 'discord.js';
import { Context, Options, SlashCommand, type SlashCommandContext } from 'necord';
import { Audited } from '../discord/command-audit.interceptor';
import { withinLimits } from '../discord/limits';
import { ServiceAutocomplete } from '../service-registry/service.autocomplete';
import { DeliveryStatsService, parsePeriodDays } from './delivery-stats.service';
import { StatsOptions } from './dto/stats.options';
import { statsChart } from './stats-chart';
import { statsCsvFile } from './stats-csv';
import { ValidationError } from '../../libs/errors';
import { chartAttachment, chartTitle, statsEmbed } from './stats.views';

/** `/stats`: DORA's five delivery metrics of a service, with a chart or the deployments as CSV. */
@Injectable()
@Audited()
export class StatsCommands {
  constructor(private readonly delivery: DeliveryStatsService) {}

  @UseInterceptors(ServiceAutocomplete)
  @SlashCommand({
    name: 'stats',
    description: 'Delivery metrics of a service: frequency, lead time, fail rate, recovery, rework',
  })
  async stats(@Context() [interaction]: SlashCommandContext, @Options() options: StatsOptions) {
    const days = parsePeriodDays(options.period ?? undefined);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const stats = await this.delivery.stats(options.service, options.env ?? undefined, days);
    const embed = statsEmbed(stats, days);
    const csv = options.format === 'csv' ? statsCsvFile(stats) : undefined;
    if (options.format === 'csv' && !csv)
      throw new ValidationError(
        'The deployments of that period do not fit in one file: ask for a shorter period.',
      );
    const png = csv ? undefined : await statsChart(chartTitle(stats, days), stats.weeks);
    const file = csv
      ? new AttachmentBuilder(csv, { name: `${stats.service.name}-deployments.csv` })
      : png
        ? chartAttachment(embed, png)
        : undefined;
    return interaction.editReply(withinLimits({ embeds: [embed], files: file ? [file] : [] }));
  }
}
