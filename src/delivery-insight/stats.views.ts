import { AttachmentBuilder, EmbedBuilder } from 'discord.js';
import { spanText } from '../../libs/text';
import { plain } from '../discord/format';
import { Band, DAY_MS, DeliveryFigures, bandsOf } from './delivery.rules';
import type { DeliveryStats } from './delivery-stats.service';

const BAND: Record<Band, string> = {
  elite: 'Elite',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

function percent(rate: number | undefined): string {
  return rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

function span(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : ms < 60_000 ? 'under a minute' : spanText(ms);
}

/** `▲ 2 from 3`: how a figure moved since the period before (nothing to compare: nothing). */
function trend(now: number | undefined, before: number | undefined, text: (v: number) => string) {
  if (now === undefined || before === undefined) return '';
  if (now === before) return ' · same as before';
  return ` · ${now > before ? '▲' : '▼'} from ${text(before)}`;
}

function band(value: Band | undefined): string {
  return value ? ` · DORA: **${BAND[value]}**` : '';
}

/** The five figures as text: complete on its own (the chart repeats it for the eye). */
export function statsEmbed(stats: DeliveryStats, days: number): EmbedBuilder {
  const { current: now, previous: before } = stats;
  const bands = bandsOf(now);
  const scope = stats.environments.map((env) => plain(env, 32)).join(', ');
  const fields: Array<{ name: string; value: string }> = [
    {
      name: 'Deployment frequency',
      value:
        `${now.frequency.deployments} successful (${now.frequency.perWeek.toFixed(1)} a week)` +
        trend(now.frequency.deployments, before.frequency.deployments, String) +
        band(bands.frequency) +
        `\nMedian time between deployments: ${span(now.frequency.medianIntervalMs)}`,
    },
    {
      name: 'Change lead time',
      value:
        `Median ${span(now.leadTime.medianMs)}, p90 ${span(now.leadTime.p90Ms)} over ${now.leadTime.commits} commits` +
        trend(now.leadTime.medianMs, before.leadTime.medianMs, span) +
        band(bands.leadTime) +
        leadTimeNotes(now),
    },
    {
      name: 'Change fail rate',
      value:
        `${percent(now.changeFail.rate)} (${now.changeFail.failed} of ${now.changeFail.changes} changes)` +
        trend(now.changeFail.rate, before.changeFail.rate, percent) +
        band(bands.changeFail) +
        `\nFailed runs (not counted as changes): ${now.changeFail.failedRuns}`,
    },
    {
      name: 'Failed deployment recovery time',
      value:
        `Median ${span(now.recovery.medianMs)} over ${now.recovery.recovered} recoveries` +
        trend(now.recovery.medianMs, before.recovery.medianMs, span) +
        band(bands.recovery) +
        (now.recovery.unrecovered ? `\nNot recovered yet: ${now.recovery.unrecovered}` : ''),
    },
    {
      name: 'Deployment rework rate',
      value:
        `${percent(now.rework.rate)} (${now.rework.rollbacks} rollbacks, ${now.rework.hotfixes} hotfixes of ${now.rework.deployments})` +
        trend(now.rework.rate, before.rework.rate, percent),
    },
  ];
  return new EmbedBuilder()
    .setTitle(`Delivery of ${plain(stats.service.name, 63)}: last ${days} days`)
    .setDescription(
      now.frequency.deployments || now.changeFail.failedRuns
        ? `${stats.production ? 'Production' : 'Environment'}: ${scope}. Trends compare with the ${days} days before. A failure counts within ${spanText(stats.failureWindowMs)} of the deployment.`
        : `No deployment to ${scope} finished in the last ${days} days.`,
    )
    .addFields(fields)
    .setFooter({ text: 'Definitions: docs/user-guide.md, "Delivery metrics"' });
}

function leadTimeNotes(figures: DeliveryFigures): string {
  const notes = [
    ...(figures.leadTime.unknown
      ? [`${figures.leadTime.unknown} deployments' commits not read yet`]
      : []),
    ...(figures.leadTime.futureDated
      ? [`${figures.leadTime.futureDated} commits dated after their deployment left out`]
      : []),
  ];
  return notes.length ? `\n${notes.join('; ')}` : '';
}

/** The chart's title: the service, the scope, the period. */
export function chartTitle(stats: DeliveryStats, days: number): string {
  return `${stats.service.name} → ${stats.environments.join(', ')}: ${Math.ceil((days * DAY_MS) / (7 * DAY_MS))} weeks`;
}

/** The chart as the embed's image: the file to attach, and the embed pointing at it. */
export function chartAttachment(embed: EmbedBuilder, png: Buffer): AttachmentBuilder {
  embed.setImage('attachment://delivery.png');
  return new AttachmentBuilder(png, {
    name: 'delivery.png',
    description: 'Deployments per week by outcome, and the median lead time per week',
  });
}
