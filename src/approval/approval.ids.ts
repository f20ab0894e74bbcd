/** Button custom ids carry only the request's opaque id and the action: `approval/d-7f3a2c/approve`. */
export type ApprovalAction = 'approve' | 'cancel';

export const APPROVAL_BUTTON_ROUTE = 'approval/:id/:action';
const PATTERN = /^approval\/(d-[0-9a-f]{6})\/(approve|cancel)$/;

export function approvalButtonId(deploymentId: string, action: ApprovalAction): string {
  return `approval/${deploymentId}/${action}`;
}

/** The id and action of a well-formed approval button id; undefined for anything else. */
export function parseApprovalButtonId(
  customId: string,
): { id: string; action: ApprovalAction } | undefined {
  const match = PATTERN.exec(customId);
  return match ? { id: match[1], action: match[2] as ApprovalAction } : undefined;
}

/** Whether a custom id is routed to the approval buttons at all (well-formed or not). */
export function isApprovalRoute(customId: string): boolean {
  return /^approval\/[^/]+\/[^/]+$/.test(customId);
}
