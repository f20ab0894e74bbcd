import type { Deployment, DeploymentStatus } from '../deployments/deployment';
import type { GateDecision } from './gate-request.store';

/** GitHub keeps a review comment short; the bot's stay well within. */
const COMMENT_MAX = 1_000;

/** Statuses of a deployment whose run the bot let through (or that followed it from the start). */
const LET_THROUGH: DeploymentStatus[] = [
  'dispatched',
  'queued',
  'in_progress',
  'success',
  'failure',
  'cancelled',
  'timed_out',
];

/**
 * What GitHub is told about run `runId` once its deployment is decided, or undefined while it
 * is not (waiting at the CI gate, for approval, or being let through).
 */
export function decisionOf(
  deployment: Deployment,
  runId: number,
  approvalTimeoutMs: number,
): Omit<GateDecision, 'at'> | undefined {
  if (LET_THROUGH.includes(deployment.status)) {
    if (deployment.runId === runId)
      return { state: 'approved', comment: answerComment(deployment, 'approved') };
    // It follows another run than the one GitHub asked about: this one was never approved.
    return {
      state: 'rejected',
      comment: clip(`${deployment.id} follows another run: this one was not approved in Discord.`),
    };
  }
  switch (deployment.status) {
    case 'rejected':
    case 'superseded':
    case 'dispatch_failed':
      return { state: 'rejected', comment: answerComment(deployment, 'rejected') };
    case 'expired': {
      // Expired at the CI gate (CI never passed, nobody deployed it anyway), or unapproved.
      if (deployment.gate && !deployment.approval)
        return {
          state: 'rejected',
          comment: clip(
            `Stopped at the CI gate for ${deployment.service} ${deployment.environment} (${deployment.id}): ${deployment.transitions.at(-1)?.note ?? 'CI did not pass'}.`,
          ),
        };
      const minutes = Math.max(1, Math.round(approvalTimeoutMs / 60_000));
      return {
        state: 'rejected',
        comment: clip(
          `Not decided in Discord within ${minutes} minute(s) (${deployment.id}): rejected. Start the run again to ask again.`,
        ),
      };
    }
    default:
      return undefined;
  }
}

/** The comment GitHub shows beside the answer: who decided in Discord, and where. */
export function answerComment(deployment: Deployment, state: 'approved' | 'rejected'): string {
  const target = `${deployment.service} ${deployment.environment} (${deployment.id})`;
  if (state === 'approved') {
    const approvers = (deployment.approval?.approvals ?? []).map((a) => a.name);
    if (approvers.length)
      return clip(`Approved in Discord by ${approvers.join(', ')} for ${target}.`);
    if (!deployment.origin)
      return clip(`Requested in Discord by ${deployment.requester.name} as ${target}.`);
    return clip(`Let through by the deploy bot for ${target}: no approval is required there.`);
  }
  const last = deployment.transitions.at(-1);
  if (deployment.status === 'rejected')
    return clip(`Rejected in Discord by ${last?.by?.name ?? 'an admin'} for ${target}.`);
  if (deployment.status === 'superseded')
    return clip(`Replaced by a newer request for ${target}: ${last?.note ?? ''}`);
  return clip(
    `Not let through for ${target}: ${deployment.failureReason ?? last?.note ?? 'refused'}`,
  );
}

/**
 * Within GitHub's bounds, and mentioning nobody there: a Discord name such as `@org/team` would
 * notify a GitHub team, so every `@` is written as a full-width `＠`.
 */
export function clip(text: string): string {
  const quiet = text.replace(/@/g, '＠');
  return quiet.length > COMMENT_MAX ? `${quiet.slice(0, COMMENT_MAX - 1)}…` : quiet;
}
