import { DISCORD_ROUTES } from '../fake-discord/routes';
import { actionRoutes } from '../fake-github/routes/actions';
import { appRoutes } from '../fake-github/routes/apps';
import { checkRoutes } from '../fake-github/routes/checks';
import { deploymentRoutes } from '../fake-github/routes/deployments';
import { repoRoutes } from '../fake-github/routes/repos';
import { contractChecker, ContractChecker } from './contracts';

/** The webhook payloads the fake GitHub sends (by @octokit/openapi-webhooks' names). */
export const WEBHOOKS = [
  'workflow-run-requested',
  'workflow-run-in-progress',
  'workflow-run-completed',
  'workflow-job-queued',
  'workflow-job-waiting',
  'workflow-job-in-progress',
  'workflow-job-completed',
  'ping',
  'deployment-protection-rule-requested',
];

/** The checker for every route the fakes serve. */
export function checker(): ContractChecker {
  return contractChecker({
    github: [...appRoutes, ...repoRoutes, ...checkRoutes, ...actionRoutes, ...deploymentRoutes].map(
      (route): [string, string] => [route.method, route.template],
    ),
    discord: DISCORD_ROUTES,
    webhooks: WEBHOOKS,
  });
}
