import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { CheckLine, Deployment } from '../../deployments/deployment';
import { code, discordTime, plain, shortSha } from '../format';
import { fitLines, LIMITS } from '../limits';
import { gateControlId } from './gate-buttons';

/** What the CI gate shows on a deployment's message: its status, its checks, its buttons. */

const CHECK_ICON: Record<CheckLine['state'], string> = {
  failed: '❌',
  missing: '❔',
  pending: '⏳',
  passed: '✅',
};

/**
 * One check as the gate saw it: its name and GitHub's word (a forged status's names both
 * creators), linked to its log when known (a commit status's link only when it points at GitHub).
 */
function checkLine(check: CheckLine): string {
  const name = plain(check.name, 80);
  const detail = plain(check.detail.replace(/_/g, ' '), 120);
  const linked = check.url && /^https?:\/\/[^\s()<>[\]]{1,300}$/.test(check.url);
  return `${CHECK_ICON[check.state]} ${linked ? `[${name}](${check.url})` : name} (${detail})`;
}

export function checksText(checks: CheckLine[]): string {
  return fitLines(checks.map(checkLine), LIMITS.fieldValue, (n) => `… and ${n} more`);
}

/** The status line of a request held at the gate (`awaiting_checks` or `checks_failed`). */
export function gateStatusLine(deployment: Deployment, label: string): string {
  const gate = deployment.gate!;
  if (deployment.status === 'awaiting_checks') {
    if (gate.heldBy) return `⏳ CI passed; ${plain(gate.heldBy, 300)}`;
    if (gate.total === 0)
      return `${label}: no check has reported on ${code(shortSha(deployment.sha))} yet; refused ${discordTime(gate.noChecksUntil, 'R')} if none starts`;
    return `${label}: ${gate.pending} of ${gate.total} check${gate.total === 1 ? '' : 's'} pending (gives up ${discordTime(gate.waitUntil, 'R')})`;
  }
  const why = gate.reason
    ? `it cannot tell whether CI passed: ${plain(gate.reason, 300)}`
    : gate.noCi
      ? `no CI reported for ${code(shortSha(deployment.sha))} (if the repository has no CI, an admin sets its gate \`off\`)`
      : `CI has not passed on ${code(shortSha(deployment.sha))}`;
  return `${label}: ${why}. Nothing was dispatched; an admin may deploy anyway, with a reason, until ${discordTime(gate.waitUntil, 'f')}.`;
}

/**
 * What CI said, for the approver: passed (with how many checks), overridden (by whom), or no
 * gate on the target.
 */
export function ciSummary(deployment: Deployment): string {
  const gate = deployment.gate;
  if (!gate) return deployment.rollback ? 'not checked: a rollback' : 'no CI gate (off)';
  if (gate.override) return `⚠️ overridden by ${plain(gate.override.by.name, 60)}`;
  if (gate.verdict === 'passed')
    return `✅ passed with ${gate.total} check${gate.total === 1 ? '' : 's'} (${discordTime(gate.checkedAt, 'R')})`;
  return `${gate.verdict} (${gate.pending} of ${gate.total} pending)`;
}

export function gateButtons(deployment: Deployment): ActionRowBuilder<ButtonBuilder>[] {
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId(gateControlId(deployment.id, 'override'))
        .setLabel('Deploy anyway')
        .setStyle(ButtonStyle.Danger),
      new ButtonBuilder()
        .setCustomId(gateControlId(deployment.id, 'cancel'))
        .setLabel('Cancel')
        .setStyle(ButtonStyle.Secondary),
    ),
  ];
}
