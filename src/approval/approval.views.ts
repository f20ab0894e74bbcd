import { discordTime, plain } from '../discord/format';
import type { Deployment } from '../deployments/deployment';
import type { ApprovalAnswer } from './approval.service';

/** What happened to a request that is no longer pending, in a sentence. */
export function describeDecision(deployment: Deployment): string {
  const decided = deployment.approval?.decidedBy;
  const at = (date: Date | undefined) => (date ? discordTime(date) : 'earlier');
  switch (deployment.status) {
    case 'pending_approval':
      return 'This request is still waiting for approval.';
    case 'rejected':
      return `This request was cancelled by ${plain(decided?.name ?? 'someone', 60)} ${at(deployment.approval?.decidedAt)}.`;
    case 'expired':
      return `This request expired at ${at(deployment.approval?.expiresAt)}; nothing was dispatched.`;
    case 'checks_failed':
    case 'awaiting_checks':
      return 'This request is held at the CI gate: CI no longer passes on its commit. Nothing was dispatched.';
    default:
      return `Already approved by ${plain(decided?.name ?? 'an admin', 60)} at ${at(deployment.approval?.decidedAt)}.`;
  }
}

/** The private answer to a click that changed nothing. */
export function approvalNotice(
  answer: Extract<ApprovalAnswer, { kind: 'decided' | 'approved-already' }>,
): string {
  return answer.kind === 'approved-already'
    ? 'You have approved this request already.'
    : describeDecision(answer.deployment);
}
