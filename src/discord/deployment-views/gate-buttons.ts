import { parseDeploymentControl } from './deployment-route';

/**
 * The CI gate's controls on a held request's message: "Deploy anyway" (opens the reason form),
 * "Cancel", and the form itself. Ids carry only the opaque deployment id, path-shaped:
 * `ci-gate/d-7f3a2c/override`; built and parsed here.
 */
export type GateAction = 'override' | 'cancel' | 'reason';

export const GATE_BUTTON_ROUTE = 'ci-gate/:id/:action';
export const GATE_REASON_INPUT = 'reason';
const ACTIONS: readonly GateAction[] = ['override', 'cancel', 'reason'];

export function gateControlId(deploymentId: string, action: GateAction): string {
  return `ci-gate/${deploymentId}/${action}`;
}

/** The id and action of a well-formed gate control id; undefined for anything else. */
export function parseGateControlId(
  customId: string,
): { id: string; action: GateAction } | undefined {
  return parseDeploymentControl(customId, 'ci-gate', ACTIONS);
}
