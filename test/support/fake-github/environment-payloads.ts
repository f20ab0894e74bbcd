import type { GithubState } from './state';
import { accountOf, FakeApp, FakeDeployment, FakeRun } from './model';

/** What GitHub shows of environments' custom rules: the REST listing and the webhook. */

const nodeId = (text: string) => Buffer.from(text).toString('base64');

/**
 * A custom deployment protection rule the fake's App provides, as the REST API lists it
 * (https://docs.github.com/en/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment).
 */
export function protectionRulePayload(
  app: FakeApp,
  ruleId: number,
  apiUrl: string,
): Record<string, unknown> {
  return {
    id: ruleId,
    node_id: nodeId(`DeploymentProtectionRule${ruleId}`),
    enabled: true,
    app: {
      id: app.appId,
      slug: app.slug,
      integration_url: `${apiUrl}/apps/${app.slug}`,
      node_id: nodeId(`Integration${app.appId}`),
    },
  };
}

/**
 * The `deployment_protection_rule` webhook (action `requested`) GitHub sends the App for one job
 * of `run` waiting on `deployment`'s environment
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#deployment_protection_rule):
 * the run's event, the URL to answer at, the deployment, and who triggered the run.
 */
export function protectionRuleEvent(
  state: GithubState & { readonly apiUrl: string },
  run: FakeRun,
  deployment: FakeDeployment,
): Record<string, unknown> {
  const repo = state.repo(run.owner, run.repo);
  const fullName = `${repo.owner}/${repo.name}`;
  const installation = state.app?.installations.get(run.owner.toLowerCase());
  return {
    action: 'requested',
    environment: deployment.environment,
    event: run.event,
    deployment_callback_url: `${state.apiUrl}/repos/${fullName}/actions/runs/${run.id}/deployment_protection_rule`,
    deployment: state.deploymentPayload(deployment),
    pull_requests: [],
    repository: {
      id: 1,
      node_id: nodeId(`Repository${fullName}`),
      name: repo.name,
      full_name: fullName,
      private: false,
      owner: accountOf(repo.owner),
      html_url: `https://github.example/${fullName}`,
      url: `${state.apiUrl}/repos/${fullName}`,
      default_branch: repo.defaultBranch,
    },
    ...(installation
      ? { installation: { id: installation.id, node_id: nodeId(`Installation${installation.id}`) } }
      : {}),
    sender: accountOf(run.triggeringActor),
  };
}
