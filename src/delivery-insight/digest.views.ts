import { AttachmentBuilder, type MessageCreateOptions } from 'discord.js';
import { withinLimits } from '../discord/limits';
import { plain } from '../discord/format';
import type { DeliveryStats } from './delivery-stats.service';
import { statsEmbed } from './stats.views';

/** The weekly digest: the /stats text of the week, and the chart when there is one. */
export function digestMessage(
  stats: DeliveryStats,
  days: number,
  png: Buffer | undefined,
): Pick<MessageCreateOptions, 'embeds' | 'files'> {
  const embed = statsEmbed(stats, days).setTitle(
    `Weekly delivery digest: ${plain(stats.service.name, 63)}`,
  );
  if (png) embed.setImage('attachment://delivery.png');
  const { embeds } = withinLimits({ embeds: [embed] });
  return {
    embeds,
    files: png
      ? [
          new AttachmentBuilder(png, {
            name: 'delivery.png',
            description: 'Deployments per week by outcome, and the median lead time per week',
          }),
        ]
      : [],
  };
}
