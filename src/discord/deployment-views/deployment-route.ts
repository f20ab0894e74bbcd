import { DEPLOYMENT_ID } from '../../deployments/deployment';

/**
 * A control on a deployment's message, path-shaped: `<route>/<deployment id>/<action>`. The id
 * and action of a well-formed one with a known action; undefined for anything else.
 */
export function parseDeploymentControl<Action extends string>(
  customId: string,
  route: string,
  actions: readonly Action[],
): { id: string; action: Action } | undefined {
  const [prefix, id, action, ...rest] = customId.split('/');
  if (prefix !== route || rest.length > 0 || !DEPLOYMENT_ID.test(id ?? '')) return undefined;
  return (actions as readonly string[]).includes(action)
    ? { id, action: action as Action }
    : undefined;
}
