import { EmbedBuilder } from 'discord.js';
import { Deployment } from '../deploy/deployment';
import {
  deploymentDurationMs,
  formatDuration,
  shortSha,
  statusLabel,
} from '../deploy/deploy.views';
import { Service } from '../service-registry/service';
import { EnvironmentStatus } from './status.service';

const when = (date: Date | undefined, style: 'f' | 'R' = 'f') =>
  date ? `<t:${Math.floor(new Date(date).getTime() / 1000)}:${style}>` : '?';

function historyLine(d: Deployment): string {
  const approvers = d.approval?.approvals.map((a) => a.name) ?? [];
  const duration = deploymentDurationMs(d);
  const parts = [
    `**${d.id}** ${d.environment} \`${shortSha(d.sha)}\` (${d.ref.length > 30 ? shortSha(d.ref) : d.ref})`,
    statusLabel(d.status),
    `by ${d.requester.name}${approvers.length ? `, approved by ${approvers.join(', ')}` : ''}`,
    when(d.createdAt),
    ...(duration !== undefined ? [formatDuration(duration)] : []),
    ...(d.runUrl ? [`[run](${d.runUrl})`] : []),
  ];
  const marks = [
    ...(d.rollback ? [`↩️ rollback to ${d.rollback.to}`] : []),
    ...(d.supersededBy ? [`rolled back by ${d.supersededBy}`] : []),
  ];
  return `${parts.join(' · ')}${marks.length ? ` · ${marks.join(' · ')}` : ''}`;
}

export function historyEmbed(
  service: Service,
  environment: string | undefined,
  deployments: Deployment[],
): EmbedBuilder {
  const title = `History of ${service.name}${environment ? ` → ${environment}` : ''}`;
  const body = deployments.length ? deployments.map(historyLine).join('\n') : 'No deployments yet.';
  return new EmbedBuilder().setTitle(title).setDescription(body.slice(0, 4000));
}

function environmentText(status: EnvironmentStatus): string {
  const lines: string[] = [];
  const current = status.current;
  lines.push(
    current
      ? `Deployed: \`${shortSha(current.sha)}\` (${current.id}) ${when(current.finishedAt, 'R')} by ${current.requester.name}`
      : 'Nothing deployed yet.',
  );
  if (status.inFlight) {
    lines.push(
      `In flight: ${status.inFlight.id} \`${shortSha(status.inFlight.sha)}\` ${statusLabel(status.inFlight.status)}, by ${status.inFlight.requester.name}`,
    );
  }
  for (const pending of status.pending) {
    lines.push(
      `Waiting for approval: ${pending.id} \`${shortSha(pending.sha)}\`, by ${pending.requester.name}`,
    );
  }
  if (status.lock)
    lines.push(
      `🔒 Locked by ${status.lock.by.name} since ${when(status.lock.at)}: ${status.lock.reason}`,
    );
  return lines.join('\n').slice(0, 1024);
}

export function statusEmbed(service: Service, environments: EnvironmentStatus[]): EmbedBuilder {
  return new EmbedBuilder().setTitle(`Status of ${service.name}`).addFields(
    environments.map((status) => ({
      name: `${status.environment}${status.protected ? ' (protected)' : ''}`,
      value: environmentText(status),
    })),
  );
}
