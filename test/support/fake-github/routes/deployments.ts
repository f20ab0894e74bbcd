import type { FakeDeployment, FakeDeploymentStatus } from '../model';
import type { GithubState } from '../state';
import type { Route } from './table';

/** GitHub's Deployments API: deployments and their statuses. */
export const deploymentRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
    method: 'POST',
    template: '/repos/{owner}/{repo}/deployments',
    answer: ({ state, params, body }) =>
      createDeployment(state, params.owner, params.repo, body as Record<string, unknown>),
  },
  {
    // https://docs.github.com/en/rest/deployments/deployments#list-deployments
    method: 'GET',
    template: '/repos/{owner}/{repo}/deployments',
    answer: ({ state, params, query }) => {
      state.repo(params.owner, params.repo);
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const found = state.deployments
        .filter(
          (d) =>
            d.owner.toLowerCase() === params.owner.toLowerCase() &&
            d.repo.toLowerCase() === params.repo.toLowerCase(),
        )
        .filter((d) => !query.get('environment') || d.environment === query.get('environment'))
        .filter((d) => !query.get('sha') || d.sha === query.get('sha'))
        .filter((d) => !query.get('task') || d.task === query.get('task'))
        .reverse()
        .slice(0, perPage);
      return [200, found.map((d) => state.deploymentPayload(d))];
    },
  },
  {
    // https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status
    method: 'POST',
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    answer: ({ state, params, body }) =>
      createDeploymentStatus(
        state,
        params.owner,
        params.repo,
        Number(params.deployment_id),
        body as Record<string, unknown>,
      ),
  },
  {
    // https://docs.github.com/en/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment:
    // the custom rules enabled on the environment (the fake's App, where enabled); 404 for an
    // environment the repository does not have.
    method: 'GET',
    template: '/repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules',
    answer: ({ state, params }) => {
      state.repo(params.owner, params.repo);
      const rules = state.protectionRulesOf(params.owner, params.repo, params.environment_name);
      if (!rules) return [404, { message: 'Not Found' }];
      return [200, { total_count: rules.length, custom_deployment_protection_rules: rules }];
    },
  },
];

/**
 * https://docs.github.com/en/rest/deployments/deployments#create-a-deployment: `ref` is a
 * branch, tag or SHA (422 when unknown). `required_contexts` left out means every commit
 * status must be success (409 otherwise); `auto_merge` defaults to true (merging the default
 * branch in is not simulated: such a request is refused with 409, as a merge conflict is).
 */
function createDeployment(
  state: GithubState,
  owner: string,
  name: string,
  body: Record<string, unknown>,
): [number, unknown?] {
  const repo = state.repo(owner, name);
  const ref = String(body.ref ?? '');
  const sha = repo.commits.has(ref) ? ref : (repo.branches.get(ref) ?? repo.tags.get(ref));
  if (!sha) return [422, { message: `No ref found for: ${ref}` }];
  if (body.auto_merge !== false && sha !== repo.branches.get(repo.defaultBranch))
    return [409, { message: `Conflict merging ${repo.defaultBranch} into ${ref}.` }];
  if (body.required_contexts === undefined) {
    const failing = (repo.statuses.get(sha) ?? []).filter((s) => s.state !== 'success');
    if (failing.length)
      return [409, { message: `Conflict: Commit status checks failed for ${ref}.` }];
  }
  const environment = String(body.environment ?? 'production');
  const deployment: FakeDeployment = {
    id: state.nextDeploymentId++,
    owner,
    repo: repo.name,
    sha,
    ref,
    task: String(body.task ?? 'deploy'),
    environment,
    description: String(body.description ?? ''),
    payload:
      typeof body.payload === 'object' && body.payload
        ? (body.payload as Record<string, unknown>)
        : {},
    autoMerge: body.auto_merge !== false,
    requiredContexts: body.required_contexts as string[] | undefined,
    productionEnvironment: Boolean(body.production_environment ?? environment === 'production'),
    transientEnvironment: Boolean(body.transient_environment),
    statuses: [],
  };
  state.deployments.push(deployment);
  return [201, state.deploymentPayload(deployment)];
}

/**
 * https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status: a success
 * with `auto_inactive` (default true) adds an inactive status to the prior non-transient,
 * non-production deployments of that environment whose latest state is success.
 */
function createDeploymentStatus(
  fake: GithubState,
  owner: string,
  name: string,
  id: number,
  body: Record<string, unknown>,
): [number, unknown?] {
  fake.repo(owner, name);
  const deployment = fake.deployments.find(
    (d) => d.id === id && d.owner.toLowerCase() === owner.toLowerCase(),
  );
  if (!deployment) return [404, { message: 'Not Found' }];
  const state = String(body.state ?? '');
  const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
  const description = String(body.description ?? '');
  if (!states.includes(state) || description.length > 140)
    return [422, { message: 'Validation Failed' }];
  const status: FakeDeploymentStatus = {
    id: fake.nextDeploymentId++,
    state,
    description,
    ...(body.log_url ? { logUrl: String(body.log_url) } : {}),
    ...(body.environment_url ? { environmentUrl: String(body.environment_url) } : {}),
  };
  if (state === 'success' && body.auto_inactive !== false) {
    for (const prior of fake.deploymentsTo(owner, name, deployment.environment)) {
      if (
        prior.id < id &&
        !prior.productionEnvironment &&
        !prior.transientEnvironment &&
        prior.statuses.at(-1)?.state === 'success'
      )
        prior.statuses.push({
          id: fake.nextDeploymentId++,
          state: 'inactive',
          description: '',
          automatic: true,
        });
    }
  }
  deployment.statuses.push(status);
  return [201, { id: status.id, state, description, environment: deployment.environment }];
}
