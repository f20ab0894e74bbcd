import type { Deployment, VerificationRecord } from '../../deployments/deployment';
import { code, discordTime, plain, shortSha } from '../format';
import { LIMITS } from '../limits';
import { spanText } from '../../../libs/text';

const span = spanText;

function lastProbe(record: VerificationRecord): string {
  const probe = record.lastProbe;
  if (!probe) return '';
  const mark = probe.outcome === 'healthy' ? '✅' : probe.outcome === 'unhealthy' ? '❌' : '⏳';
  return `\nLast probe ${discordTime(probe.at, 'R')}: ${mark} ${plain(probe.detail, 300)}`;
}

function rollbackLine(record: VerificationRecord): string {
  const rollback = record.rollback;
  if (!rollback) return record.plan.autoRollback ? '' : '\nAutomatic rollback is off.';
  switch (rollback.state) {
    case 'due':
      return '\n↩️ Rolling back automatically to the last verified version …';
    case 'started':
      return `\n↩️ Rolled back automatically to ${code(shortSha(rollback.toSha ?? ''))} (${rollback.toId}) as ${rollback.deploymentId}; the target is held until an admin unlocks it.`;
    case 'held':
      return `\n🔒 Not rolled back: ${plain(rollback.reason, 300)}`;
    case 'skipped':
      return `\n${plain(rollback.reason, 300)}`;
  }
}

/**
 * The Verification field of a deployment's message: the soak's progress and the last probe,
 * then how it ended and what the bot did about a failure. Empty while the run has not succeeded.
 */
export function verificationField(
  deployment: Deployment,
): { name: string; value: string } | undefined {
  const record = deployment.verification;
  if (!record || record.state === 'waiting') return undefined;
  const soak = span(record.plan.soakMs);
  let text: string;
  switch (record.state) {
    case 'verifying': {
      // As of the last probe: the message changes with each probe, not with the clock.
      const started = record.startedAt ? new Date(record.startedAt).getTime() : 0;
      const seen = record.lastProbe ? new Date(record.lastProbe.at).getTime() : started;
      const done = Math.min(record.plan.soakMs, Math.max(0, seen - started));
      const failing = record.failuresInRow
        ? ` · ${record.failuresInRow} of ${record.plan.failuresToFail} failed probes in a row`
        : '';
      text = `🔎 Verifying: ${span(done)} of a ${soak} soak, ends ${discordTime(record.soakUntil, 'R')}${failing}${lastProbe(record)}`;
      break;
    }
    case 'verified':
      text = `✅ Verified: ${plain(record.reason, 200)}${lastProbe(record)}`;
      break;
    case 'failed':
      text = `❌ Verification failed: ${plain(record.reason, 400)}${rollbackLine(record)}`;
      break;
    case 'stopped':
      text = `⏹️ Verification stopped: ${plain(record.reason, 300)}`;
      break;
  }
  return { name: 'Verification', value: text.slice(0, LIMITS.fieldValue) };
}

/** What the target's channel is told once when a deployment fails its verification. */
export function failureNotice(deployment: Deployment, adminRoles: string[]): string {
  const record = deployment.verification!;
  const head = `⚠️ **${deployment.service}** → ${deployment.environment}: ${deployment.id} (${code(shortSha(deployment.sha))}) failed its verification: ${plain(record.reason, 400)}.`;
  const rollback = record.rollback;
  const admins = adminRoles.map((role) => `<@&${role}>`).join(' ');
  if (!rollback)
    return `${head}\nAutomatic rollback is off: \`/rollback\` puts back an earlier version.`;
  switch (rollback.state) {
    case 'started':
      return `${head}\n↩️ Rolled back automatically to ${code(shortSha(rollback.toSha ?? ''))} (${rollback.toId}) as ${rollback.deploymentId}, without waiting for approval: it restores a verified version. 🔒 The target is held until an admin runs \`/unlock\`.`;
    case 'held':
      return `${head}\n🔒 ${plain(rollback.reason, 400)}.${admins ? ` ${admins}: ` : ' Admins: '}decide what runs there (\`/rollback\`), then \`/unlock\`.`;
    default:
      return `${head}\n${plain(rollback.reason, 300)}.`;
  }
}
