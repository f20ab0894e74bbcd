import { EmbedBuilder } from 'discord.js';
import { Deployment, DeploymentStatus } from './deployment';

const STATUS: Record<DeploymentStatus, { label: string; color: number }> = {
  pending_approval: { label: '🟡 Waiting for approval', color: 0xf1c40f },
  approved: { label: '👍 Approved', color: 0x3498db },
  rejected: { label: '🚫 Cancelled before dispatch', color: 0x95a5a6 },
  expired: { label: '⌛ Approval expired', color: 0x95a5a6 },
  dispatching: { label: '📨 Dispatching the workflow', color: 0x3498db },
  dispatched: { label: '🚀 Dispatched: waiting for GitHub to start the run', color: 0x3498db },
  queued: { label: '🕐 Queued', color: 0x3498db },
  in_progress: { label: '🔄 In progress', color: 0x3498db },
  success: { label: '✅ Succeeded', color: 0x2ecc71 },
  failure: { label: '❌ Failed', color: 0xe74c3c },
  cancelled: { label: '🚫 Cancelled', color: 0x95a5a6 },
  timed_out: { label: '⌛ Timed out', color: 0xe67e22 },
  dispatch_failed: { label: '⚠️ Could not dispatch', color: 0xe74c3c },
};

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function deploymentDurationMs(deployment: Deployment): number | undefined {
  const start = deployment.dispatchedAt ?? deployment.dispatchRequestedAt;
  const end = deployment.finishedAt;
  return start && end ? new Date(end).getTime() - new Date(start).getTime() : undefined;
}

function statusLine(deployment: Deployment): string {
  const { label } = STATUS[deployment.status];
  const duration = deploymentDurationMs(deployment);
  switch (deployment.status) {
    case 'success':
    case 'failure':
    case 'cancelled':
      return duration === undefined ? label : `${label} in ${formatDuration(duration)}`;
    case 'timed_out': {
      const note =
        deployment.transitions.at(-1)?.note ?? 'no completion in time; the run may still be going';
      return `${label}: ${note}.`;
    }
    case 'dispatch_failed':
      return `${label}: ${deployment.failureReason ?? 'GitHub refused the dispatch'}`;
    default:
      return label;
  }
}

/** The one message that shows a deployment, rebuilt from its record at every change. */
export function deploymentMessage(deployment: Deployment): {
  content: string;
  embeds: EmbedBuilder[];
  components: [];
} {
  const embed = new EmbedBuilder()
    .setTitle(`Deploy ${deployment.service} → ${deployment.environment}`)
    .setColor(STATUS[deployment.status].color)
    .setDescription(statusLine(deployment))
    .addFields(
      {
        name: 'Ref',
        value: `\`${deployment.ref}\` → \`${shortSha(deployment.sha)}\``,
        inline: true,
      },
      { name: 'Requested by', value: deployment.requester.name, inline: true },
      { name: 'Deployment', value: deployment.id, inline: true },
    );
  if (deployment.runUrl) {
    embed.addFields({
      name: 'Run',
      value: `[#${deployment.runId ?? 'run'}](${deployment.runUrl})`,
      inline: true,
    });
  }
  if (deployment.status === 'timed_out' && deployment.runConclusion) {
    embed.addFields({
      name: 'GitHub later reported',
      value: deployment.runConclusion,
      inline: true,
    });
  }
  return { content: '', embeds: [embed], components: [] };
}

/** The line posted to DEPLOY_CHANNEL_ID when a deployment ends. */
export function outcomeAnnouncement(deployment: Deployment): string {
  const run = deployment.runUrl ? ` · [run](${deployment.runUrl})` : '';
  return `${STATUS[deployment.status].label}: **${deployment.service}** → ${deployment.environment} \`${shortSha(deployment.sha)}\` (${deployment.id}, by ${deployment.requester.name})${run}`;
}
