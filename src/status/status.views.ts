import { freezeText } from '../deploy-windows/schedule.errors';
import { closedText, closesText } from '../deploy-windows/target-schedule.service';
import { EmbedBuilder } from 'discord.js';
import { Deployment, deploymentDurationMs } from '../deployments/deployment';
import { formatDuration, statusLabel } from '../discord/deployment-views/deployment-message.views';
import { code, discordTime, plain, shortSha } from '../discord/format';
import { fitLines, LIMITS } from '../discord/limits';
import { Service } from '../service-registry/service';
import { EnvironmentStatus, TrackingStatus } from './status.service';

const when = discordTime;

function historyLine(d: Deployment): string {
  const approvers = d.approval?.approvals.map((a) => plain(a.name, 40)) ?? [];
  const duration = deploymentDurationMs(d);
  const parts = [
    `**${d.id}** ${d.environment} ${code(shortSha(d.sha))} (${code(d.ref, 30)})`,
    statusLabel(d.status),
    `by ${plain(d.requester.name, 40)}${approvers.length ? `, approved by ${approvers.join(', ')}` : ''}`,
    when(d.createdAt),
    ...(duration !== undefined ? [formatDuration(duration)] : []),
    ...(d.runUrl ? [`[run](${d.runUrl})`] : []),
  ];
  const marks = [
    ...(d.rollback ? [`↩️ rollback to ${d.rollback.to}`] : []),
    ...(d.supersededBy ? [`rolled back by ${d.supersededBy}`] : []),
    ...(d.gate?.override
      ? [
          `⚠️ CI overridden by ${plain(d.gate.override.by.name, 40)}: “${plain(d.gate.override.reason, 80)}”`,
        ]
      : []),
    ...(d.scheduleOverride
      ? [
          `⚠️ ${d.scheduleOverride.rule === 'freeze' ? 'freeze' : 'deploy window'} overridden by ${plain(d.scheduleOverride.by.name, 40)}: “${plain(d.scheduleOverride.reason, 80)}”`,
        ]
      : []),
    ...(d.queued ? [`from the queue (${d.queued.entryId})`] : []),
  ];
  return `${parts.join(' · ')}${marks.length ? ` · ${marks.join(' · ')}` : ''}`;
}

export function historyEmbed(
  service: Service,
  environment: string | undefined,
  deployments: Deployment[],
): EmbedBuilder {
  const title = `History of ${service.name}${environment ? ` → ${environment}` : ''}`;
  const body = deployments.length
    ? fitLines(
        deployments.map(historyLine),
        LIMITS.embedDescription,
        (n) => `… and ${n} more: ask for a smaller limit, or one environment`,
      )
    : 'No deployments yet.';
  return new EmbedBuilder().setTitle(title).setDescription(body);
}

function environmentText(status: EnvironmentStatus, budget: number): string {
  const lines: string[] = [];
  const current = status.current;
  lines.push(
    current
      ? `Deployed: ${code(shortSha(current.sha))} (${current.id}) ${when(current.finishedAt, 'R')} by ${plain(current.requester.name, 40)}`
      : 'Nothing deployed yet.',
  );
  if (status.inFlight) {
    lines.push(
      `In flight: ${status.inFlight.id} ${code(shortSha(status.inFlight.sha))} ${statusLabel(status.inFlight.status)}, by ${plain(status.inFlight.requester.name, 40)}`,
    );
  }
  for (const pending of status.pending) {
    lines.push(
      `Waiting for approval: ${pending.id} ${code(shortSha(pending.sha))}, by ${plain(pending.requester.name, 40)}`,
    );
  }
  if (status.lock)
    lines.push(
      `🔒 Locked by ${plain(status.lock.by.name, 40)} since ${when(status.lock.at)}: ${plain(status.lock.reason, 300)}`,
    );
  for (const freeze of status.schedule.freezes) lines.push(`🧊 ${freezeText(freeze)}`);
  const { state, windows } = status.schedule;
  if (windows.length)
    lines.push(
      state.open
        ? `🕒 Open now (${windows.length} window${windows.length === 1 ? '' : 's'})${closesText(state, when)}`
        : `🕒 Closed by its windows: ${closedText(state)}`,
    );
  if (status.queued) lines.push(`⏳ ${status.queued} queued: /queue shows them`);
  return fitLines(lines, budget, (n) => `… and ${n} more: /history shows them`);
}

/** How runs are followed: the mode of the service's repository, and what it costs. */
function trackingText(tracking: TrackingStatus): string {
  const repository = code(tracking.repository, 200);
  const ms = tracking.pollEveryMs;
  const every = ms < 1_000 ? `${ms}ms` : formatDuration(ms);
  return tracking.mode === 'webhook'
    ? `Tracking: webhooks (last from ${repository} ${when(tracking.lastDeliveryAt!, 'R')}); runs polled every ${every} as a backstop.`
    : `Tracking: polling every ${every} (no run webhook from ${repository} ${tracking.lastDeliveryAt ? `since ${when(tracking.lastDeliveryAt, 'R')}` : 'yet'}).`;
}

/**
 * One field per environment (at most 25), each given an equal share of the 6,000 characters an
 * embed may hold in all.
 */
export function statusEmbed(
  service: Service,
  environments: EnvironmentStatus[],
  tracking: TrackingStatus,
): EmbedBuilder {
  const title = `Status of ${service.name}`;
  const shown = environments.slice(0, LIMITS.embedFields);
  const names = shown.map(
    (status) => `${status.environment}${status.protected ? ' (protected)' : ''}`,
  );
  const description = trackingText(tracking);
  const room = LIMITS.embedTotal - title.length - description.length - names.join('').length - 100;
  const budget = Math.min(LIMITS.fieldValue, Math.floor(room / Math.max(1, shown.length)));
  const embed = new EmbedBuilder()
    .setTitle(title)
    .setDescription(description)
    .addFields(
      shown.map((status, i) => ({ name: names[i], value: environmentText(status, budget) })),
    );
  if (environments.length > shown.length)
    embed.setFooter({ text: `… and ${environments.length - shown.length} more environments` });
  return embed;
}
