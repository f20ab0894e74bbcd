import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import { approvalButtonId } from '../approval/approval.ids';
import { ChangeSummary, Deployment, DeploymentStatus } from './deployment';

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

export function statusLabel(status: DeploymentStatus): string {
  return STATUS[status].label;
}

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
    case 'pending_approval':
      return `${label}: expires ${discordTime(deployment.approval?.expiresAt, 'R')}`;
    case 'rejected':
      return `🚫 Cancelled by ${deployment.approval?.decidedBy?.name ?? 'someone'}: nothing was dispatched`;
    case 'expired':
      return `${label}: nothing was dispatched`;
    default:
      return label;
  }
}

function discordTime(date: Date | undefined, style: 'R' | 'f' = 'f'): string {
  return date ? `<t:${Math.floor(new Date(date).getTime() / 1000)}:${style}>` : 'soon';
}

/** The commits a deployment would ship, for the approver: first ten, the count, the link. */
export function changesText(changes: ChangeSummary | undefined, environment: string): string {
  if (!changes) return 'unknown';
  if (changes.direction === 'undo') return undoText(changes);
  if (!changes.baseSha) return `First deployment to ${environment}.`;
  if (changes.unavailable)
    return `Could not compare with \`${shortSha(changes.baseSha)}\`: ${changes.unavailable}`;
  if (changes.total === 0) return `No new commits since \`${shortSha(changes.baseSha)}\`.`;
  const lines = changes.commits.map((c) => `• \`${shortSha(c.sha)}\` ${c.subject} (${c.author})`);
  const more =
    changes.total > changes.commits.length
      ? `\n…and ${changes.total - changes.commits.length} more.`
      : '';
  const link = changes.url ? ` [Full comparison](${changes.url})` : '';
  const header = `${changes.total} commit${changes.total === 1 ? '' : 's'} since \`${shortSha(changes.baseSha)}\`:${link}`;
  return `${header}\n${lines.join('\n')}${more}`.slice(0, 1024);
}

function undoText(changes: ChangeSummary): string {
  if (changes.unavailable) return `Could not compare: ${changes.unavailable}`;
  const lines = changes.commits.map((c) => `• \`${shortSha(c.sha)}\` ${c.subject} (${c.author})`);
  const more =
    changes.total > changes.commits.length
      ? `\n…and ${changes.total - changes.commits.length} more.`
      : '';
  const link = changes.url ? ` [Full comparison](${changes.url})` : '';
  const header = `${changes.total} commit${changes.total === 1 ? '' : 's'} undone:${link}`;
  return `${header}${lines.length ? `\n${lines.join('\n')}` : ''}${more}`.slice(0, 1024);
}

function approvalsText(deployment: Deployment): string {
  const approval = deployment.approval!;
  const names = approval.approvals.map((a) => a.name).join(', ');
  return `${approval.approvals.length} of ${approval.required}${names ? `: ${names}` : ''}`;
}

function approvalButtons(deployment: Deployment): ActionRowBuilder<ButtonBuilder>[] {
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId(approvalButtonId(deployment.id, 'approve'))
        .setLabel('Approve')
        .setStyle(ButtonStyle.Success),
      new ButtonBuilder()
        .setCustomId(approvalButtonId(deployment.id, 'cancel'))
        .setLabel('Cancel')
        .setStyle(ButtonStyle.Danger),
    ),
  ];
}

/** The one message that shows a deployment, rebuilt from its record at every change. */
export function deploymentMessage(deployment: Deployment): {
  content: string;
  embeds: EmbedBuilder[];
  components: ActionRowBuilder<ButtonBuilder>[];
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
  if (deployment.approval) {
    embed.addFields({ name: 'Approvals', value: approvalsText(deployment), inline: true });
  }
  if (deployment.rollback) {
    embed.setTitle(`Rollback ${deployment.service} → ${deployment.environment}`);
    embed.addFields({
      name: 'Rolling back',
      value: `\`${shortSha(deployment.rollback.ofSha)}\` (${deployment.rollback.of}) → \`${shortSha(deployment.sha)}\` (${deployment.rollback.to})`,
    });
  }
  if (deployment.watchdogNotifiedAt && ['dispatched', 'queued'].includes(deployment.status)) {
    embed.addFields({ name: 'Notice', value: `⚠️ ${watchdogText(deployment)}` });
  }
  const pending = deployment.status === 'pending_approval';
  if (pending) {
    embed.setTitle(
      `${deployment.rollback ? 'Rollback' : 'Deploy'} ${deployment.service} → ${deployment.environment}: approval needed`,
    );
    embed.addFields({
      name: 'Changes',
      value: changesText(deployment.changes, deployment.environment),
    });
  }
  return { content: '', embeds: [embed], components: pending ? approvalButtons(deployment) : [] };
}

/** The line posted to DEPLOY_CHANNEL_ID when a deployment ends. */
export function outcomeAnnouncement(deployment: Deployment): string {
  const run = deployment.runUrl ? ` · [run](${deployment.runUrl})` : '';
  return `${STATUS[deployment.status].label}: **${deployment.service}** → ${deployment.environment} \`${shortSha(deployment.sha)}\` (${deployment.id}, by ${deployment.requester.name})${run}`;
}

/** The watchdog's words, on the message and in the reply that mentions the requester. */
export function watchdogText(deployment: Deployment): string {
  return deployment.runId
    ? `GitHub has not started the run for ${deployment.id} after 2 minutes: it is still queued.`
    : `GitHub has not started a run for ${deployment.id} after 2 minutes.`;
}
