import { verificationField } from './verification.views';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import { approvalButtonId } from './approval-buttons';
import { faultButtons } from './fault-buttons';
import { checksText, ciSummary, gateButtons, gateStatusLine } from './ci.views';
import {
  ChangeSummary,
  CommitSummary,
  Deployment,
  deploymentDurationMs,
  DeploymentStatus,
} from '../../deployments/deployment';
import { code, discordTime, plain, shortSha } from '../format';
import { eventText, startedBy } from './origin.views';
import { fitLines, LIMITS, withinLimits } from '../limits';
import { DISPATCH_GRACE_MS, inMinutes, WATCHDOG_MS } from '../../deployments/deadlines';
import { failedJobText, jobsText } from './jobs.views';

const STATUS: Record<DeploymentStatus, { label: string; color: number }> = {
  awaiting_checks: { label: '⏳ Waiting for CI', color: 0xf1c40f },
  checks_failed: { label: '⛔ Refused by the CI gate', color: 0xe74c3c },
  pending_approval: { label: '🟡 Waiting for approval', color: 0xf1c40f },
  approved: { label: '👍 Approved', color: 0x3498db },
  rejected: { label: '🚫 Cancelled before dispatch', color: 0x95a5a6 },
  expired: { label: '⌛ Approval expired', color: 0x95a5a6 },
  dispatching: { label: '📨 Dispatching the workflow', color: 0x3498db },
  dispatch_unknown: { label: "❓ GitHub's answer was lost: looking for the run", color: 0xe67e22 },
  dispatched: { label: '🚀 Dispatched: waiting for GitHub to start the run', color: 0x3498db },
  queued: { label: '🕐 Queued', color: 0x3498db },
  in_progress: { label: '🔄 In progress', color: 0x3498db },
  success: { label: '✅ Succeeded', color: 0x2ecc71 },
  failure: { label: '❌ Failed', color: 0xe74c3c },
  cancelled: { label: '🚫 Cancelled', color: 0x95a5a6 },
  timed_out: { label: '⌛ Timed out', color: 0xe67e22 },
  dispatch_failed: { label: '⚠️ Could not dispatch', color: 0xe74c3c },
  superseded: { label: '⏭️ Replaced by a newer request', color: 0x95a5a6 },
};

export function statusLabel(status: DeploymentStatus): string {
  return STATUS[status].label;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function statusLine(deployment: Deployment): string {
  const { label } = STATUS[deployment.status];
  const duration = deploymentDurationMs(deployment);
  switch (deployment.status) {
    case 'failure': {
      const ended = duration === undefined ? label : `${label} in ${formatDuration(duration)}`;
      const where = failedJobText(deployment.jobs, deployment.runUrl);
      return where ? `${ended}: ${where}` : ended;
    }
    case 'success':
    case 'cancelled':
      return duration === undefined ? label : `${label} in ${formatDuration(duration)}`;
    case 'timed_out': {
      const note =
        deployment.transitions.at(-1)?.note ?? 'no completion in time; the run may still be going';
      return `${label}: ${plain(note, 300)}.`;
    }
    case 'dispatch_failed':
      return `${label}: ${plain(deployment.failureReason ?? 'GitHub refused the dispatch', 500)}`;
    case 'pending_approval':
      return `${label}: expires ${discordTime(deployment.approval?.expiresAt, 'R')}`;
    case 'awaiting_checks':
    case 'checks_failed':
      return gateStatusLine(deployment, label);
    case 'dispatch_unknown':
      return `${label}: the target stays busy until it is found, or ${inMinutes(DISPATCH_GRACE_MS)} pass without one. Nothing is sent again.`;
    case 'superseded':
      return `${label} for the same target (${plain(deployment.transitions.at(-1)?.note ?? 'a newer request', 200)}): nothing was dispatched`;
    case 'rejected':
      return `🚫 Cancelled by ${plain(deployment.approval?.decidedBy?.name ?? deployment.transitions.at(-1)?.by?.name ?? 'someone')}: nothing was dispatched`;
    case 'expired':
      return deployment.approval
        ? `${label}: nothing was dispatched`
        : `⌛ Expired at the CI gate: ${plain(deployment.transitions.at(-1)?.note ?? 'CI did not pass in time', 200)}; nothing was dispatched`;
    default:
      return label;
  }
}

function commitLine(commit: CommitSummary): string {
  const author = commit.verified
    ? plain(commit.author, 40)
    : `${plain(commit.author, 40)}, unverified`;
  return `• ${code(shortSha(commit.sha))} ${plain(commit.subject, 100)} (${author})`;
}

const commits = (n: number) => `${n} commit${n === 1 ? '' : 's'}`;

/**
 * A header and a list of commits within one embed field (1,024 characters): the commits that
 * fit, and how many more there are in all.
 */
function commitsField(header: string, list: { total: number; commits: CommitSummary[] }): string {
  const notListed = list.total - list.commits.length;
  const lines = list.commits.map(commitLine);
  if (notListed > 0) lines.push(`… and ${notListed} more`);
  const tail = notListed > 0 ? 1 : 0;
  const body = fitLines(
    lines,
    LIMITS.fieldValue - header.length - 1,
    (hidden) => `… and ${hidden - tail + notListed} more`,
  );
  return body ? `${header}\n${body}` : header;
}

/** The commits a deployment would ship, for the approver: first ten, the count, the link. */
export function changesText(changes: ChangeSummary | undefined, environment: string): string {
  if (!changes) return 'unknown';
  if (!changes.baseSha) return `First deployment to ${environment}.`;
  const base = code(shortSha(changes.baseSha));
  if (changes.unavailable)
    return `Could not compare with ${base}: ${plain(changes.unavailable, 300)}`;
  if (changes.status === 'identical')
    return `The commit that runs on ${environment} now (${base}).`;
  if (changes.added.total === 0)
    return changes.removed.total ? 'No commits added.' : `No new commits since ${base}.`;
  const link = changes.url ? ` [Full comparison](${changes.url})` : '';
  return commitsField(`${commits(changes.added.total)} since ${base}:${link}`, changes.added);
}

/** The commits that leave the target when it goes back (behind or diverged): shown prominently. */
export function removedText(
  changes: ChangeSummary | undefined,
  environment: string,
): string | undefined {
  if (!changes?.removed.total) return undefined;
  const link = changes.url ? ` [Full comparison](${changes.url})` : '';
  return commitsField(
    `${commits(changes.removed.total)} deployed on ${environment} now:${link}`,
    changes.removed,
  );
}

function approvalsText(deployment: Deployment): string {
  const approval = deployment.approval!;
  const names = approval.approvals.map((a) => plain(a.name, 40)).join(', ');
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
        // A run started on GitHub is not cancelled here: GitHub is told it is rejected.
        .setLabel(deployment.origin ? 'Reject' : 'Cancel')
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
  const kind = deployment.rollback ? 'Rollback' : 'Deploy';
  const pending = deployment.status === 'pending_approval';
  const gated = deployment.status === 'awaiting_checks' || deployment.status === 'checks_failed';
  const removed = pending ? removedText(deployment.changes, deployment.environment) : undefined;
  const title = `${kind} ${deployment.service} → ${deployment.environment}`;
  const embed = new EmbedBuilder()
    .setTitle(pending ? `${title}: approval needed` : title)
    .setColor(STATUS[deployment.status].color)
    .setDescription(
      removed
        ? `${statusLine(deployment)}\n⚠️ **Rolls back ${commits(deployment.changes!.removed.total)}** now on ${deployment.environment}.`
        : statusLine(deployment),
    )
    .addFields(
      {
        name: 'Ref',
        value: `${code(deployment.ref)} → ${code(shortSha(deployment.sha))}`,
        inline: true,
      },
      deployment.origin
        ? { name: 'Started on GitHub by', value: startedBy(deployment.origin), inline: true }
        : { name: 'Requested by', value: plain(deployment.requester.name, 60), inline: true },
      { name: 'Deployment', value: deployment.id, inline: true },
    );
  if (deployment.origin) {
    embed.addFields({
      name: 'Started by',
      value: `${eventText(deployment.origin.event)}${deployment.origin.gated && (pending || gated) ? ' · GitHub waits for this decision' : ''}`,
      inline: true,
    });
  }
  const runUrl = deployment.runUrl ?? deployment.origin?.runUrl;
  if (!deployment.runUrl && runUrl) {
    embed.addFields({
      name: 'Run',
      value: `[#${deployment.origin!.runId}](${runUrl})`,
      inline: true,
    });
  }
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
      value: plain(deployment.runConclusion, 40),
      inline: true,
    });
  }
  if (deployment.approval) {
    embed.addFields({ name: 'Approvals', value: approvalsText(deployment), inline: true });
  }
  if (pending) embed.addFields({ name: 'CI', value: ciSummary(deployment), inline: true });
  if (gated && deployment.gate?.checks.length) {
    embed.addFields({ name: 'Checks', value: checksText(deployment.gate.checks) });
  }
  const override = deployment.gate?.override;
  if (override) {
    const failing = override.checks.map((check) => plain(check.name, 60)).join(', ');
    embed.addFields({
      name: 'CI overridden',
      value:
        `⚠️ by ${plain(override.by.name, 60)}: “${plain(override.reason, 300)}”${failing ? ` (not passing: ${failing})` : ''}`.slice(
          0,
          LIMITS.fieldValue,
        ),
    });
  }
  const scheduled = deployment.scheduleOverride;
  if (scheduled) {
    embed.addFields({
      name: scheduled.rule === 'freeze' ? 'Freeze overridden' : 'Deploy window overridden',
      value:
        `⚠️ by ${plain(scheduled.by.name, 60)}: “${plain(scheduled.reason, 300)}” · needs a second admin's approval · was: ${plain(scheduled.closure, 400)}`.slice(
          0,
          LIMITS.fieldValue,
        ),
    });
  }
  if (deployment.queued) embed.addFields({ name: 'From the queue', value: queuedText(deployment) });
  if (deployment.hotfix)
    embed.addFields({ name: 'Hotfix', value: 'Asked for as a hotfix.', inline: true });
  if (deployment.fault) {
    embed.addFields({
      name: 'Reported faulty',
      value: `⚠️ by ${plain(deployment.fault.by.name, 60)} ${discordTime(deployment.fault.at, 'R')}`,
    });
  }
  if (deployment.rollback) {
    embed.addFields({
      name: 'Rolling back',
      value: `${code(shortSha(deployment.rollback.ofSha))} (${deployment.rollback.of}) → ${code(shortSha(deployment.sha))} (${deployment.rollback.to})`,
    });
  }
  if (deployment.rollback?.automatic) {
    embed.addFields({
      name: 'Automatic',
      value: `Started by the bot after ${deployment.rollback.of} failed its verification; no approval needed to restore a verified version.`,
    });
  } else if (deployment.rollback?.unverified) {
    embed.addFields({
      name: 'Not verified',
      value: `⚠️ No verified deployment to go back to: ${deployment.rollback.to} only succeeded (it was not verified).`,
    });
  }
  if (deployment.jobs?.length) {
    embed.addFields({ name: 'Jobs', value: jobsText(deployment.jobs, deployment.runUrl) });
  }
  const verification = verificationField(deployment);
  if (verification) embed.addFields(verification);
  if (deployment.githubDeployment?.error) {
    embed.addFields({
      name: 'GitHub Deployments',
      value: `⚠️ ${plain(deployment.githubDeployment.error, 400)}; the deploy itself went on.`,
    });
  }
  if (deployment.watchdogNotifiedAt && ['dispatched', 'queued'].includes(deployment.status)) {
    embed.addFields({ name: 'Notice', value: `⚠️ ${watchdogText(deployment)}` });
  }
  if (pending) {
    if (removed) embed.addFields({ name: 'Removes', value: removed });
    embed.addFields({
      name: removed ? 'Adds' : 'Changes',
      value: changesText(deployment.changes, deployment.environment),
    });
  }
  return withinLimits({
    content: '',
    embeds: [embed],
    components: pending
      ? approvalButtons(deployment)
      : gated
        ? gateButtons(deployment)
        : faultButtons(deployment),
  });
}

/** The line posted to DEPLOY_CHANNEL_ID when a deployment ends. */
export function outcomeAnnouncement(deployment: Deployment): string {
  const run = deployment.runUrl ? ` · [run](${deployment.runUrl})` : '';
  return `${STATUS[deployment.status].label}: **${deployment.service}** → ${deployment.environment} ${code(shortSha(deployment.sha))} (${deployment.id}, by ${plain(deployment.requester.name, 60)})${run}`;
}

/** The watchdog's words, on the message and in the reply that mentions the requester. */
export function watchdogText(deployment: Deployment): string {
  return deployment.runId
    ? `GitHub has not started the run for ${deployment.id} after ${inMinutes(WATCHDOG_MS)}: it is still queued.`
    : `GitHub has not started a run for ${deployment.id} after ${inMinutes(WATCHDOG_MS)}.`;
}

/** A deployment admitted from its target's queue: when it was queued, and the commit it ships. */
function queuedText(deployment: Deployment): string {
  const queued = deployment.queued!;
  const moved =
    queued.shaAtQueue && queued.shaAtQueue !== deployment.sha
      ? ` ${code(deployment.ref)} moved while it waited: ships ${code(shortSha(deployment.sha))}, not ${code(shortSha(queued.shaAtQueue))} as when it was queued.`
      : ` Ships ${code(shortSha(deployment.sha))}.`;
  const waited = queued.waitedFor ? ` (waiting for ${plain(queued.waitedFor, 100)})` : '';
  return `${queued.entryId}, queued ${discordTime(queued.queuedAt, 'R')}${waited}.${moved}`.slice(
    0,
    LIMITS.fieldValue,
  );
}
