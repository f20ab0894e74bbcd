import type { MessageCreateOptions } from 'discord.js';
import { withinLimits } from '../discord/limits';
import { plain } from '../discord/format';
import type { DeliveryStats } from './delivery-stats.service';
import { chartAttachment, statsEmbed } from './stats.views';

/** The weekly digest: the /stats text of the week, and the chart when there is one. */
export function digestMessage(
  stats: DeliveryStats,
  days: number,
  png: Buffer | undefined,
): Pick<MessageCreateOptions, 'embeds' | 'files'> {
  const embed = statsEmbed(stats, days).setTitle(
    `Weekly delivery digest: ${plain(stats.service.name, 63)}`,
  );
  const files = png ? [chartAttachment(embed, png)] : [];
  const { embeds } = withinLimits({ embeds: [embed] });
  return { embeds, files };
}
