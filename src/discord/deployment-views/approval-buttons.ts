import { parseDeploymentControl } from './deployment-route';

/**
 * The Approve and Cancel buttons on a request's message. Custom ids carry only the request's
 * opaque id and the action, path-shaped: `approval/d-7f3a2c/approve`; built and parsed here.
 */
export type ApprovalAction = 'approve' | 'cancel';

export const APPROVAL_BUTTON_ROUTE = 'approval/:id/:action';
const ACTIONS: readonly ApprovalAction[] = ['approve', 'cancel'];

export function approvalButtonId(deploymentId: string, action: ApprovalAction): string {
  return `approval/${deploymentId}/${action}`;
}

/** The id and action of a well-formed approval button id; undefined for anything else. */
export function parseApprovalButtonId(
  customId: string,
): { id: string; action: ApprovalAction } | undefined {
  return parseDeploymentControl(customId, 'approval', ACTIONS);
}
