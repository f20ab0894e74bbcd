import { GithubError, githubMessage } from './github.errors';
import type { GithubDeploymentRequest, GithubDeploymentStatusRequest } from './github.types';
import { GithubChecks } from './github-checks';
import { OctokitOptions } from './octokit';

export type * from './github.types';
export type GithubClientOptions = OctokitOptions;
export { GithubError };
export { outcomeUnknown } from './github-actions';

/**
 * The only way into GitHub (with the parts it extends, by API area): translates GitHub to and
 * from plain data. This last part: GitHub's Deployments API.
 */
export class GithubClient extends GithubChecks {
  /**
   * Records a deployment on GitHub for `sha`: no auto-merge, and no required contexts (the bot
   * runs its own CI gate). Returns GitHub's id.
   */
  async createDeployment(request: GithubDeploymentRequest, waitMs?: number): Promise<number> {
    const { owner, repo } = request;
    const octokit = await this.octokit(owner, repo);
    try {
      const { status, data } = await octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: request.sha,
        task: 'deploy',
        environment: request.environment,
        auto_merge: false,
        required_contexts: [],
        production_environment: request.production,
        transient_environment: false,
        description: request.description,
        payload: request.payload as { [key: string]: unknown },
        // Not safe to repeat: a retry after an answer lost on the way creates a second one.
        // The caller looks for it by its payload instead. Abandoned when the caller stops
        // waiting, so no creation is still on its way once someone looks for it.
        request: { retries: 0, ...(waitMs ? { signal: AbortSignal.timeout(waitMs) } : {}) },
      });
      // 202 is GitHub merging the default branch in first: never asked for (auto_merge false).
      if (status !== 201 || !('id' in data))
        throw new GithubError('GITHUB.UNPROCESSABLE', 'GitHub did not create the deployment.');
      return data.id;
    } catch (error) {
      if ((error as { status?: number }).status === 409)
        throw new GithubError(
          'GITHUB.CONFLICT',
          `GitHub refused the deployment of ${request.sha.slice(0, 7)} (409): ${githubMessage(error)}`,
          409,
        );
      throw this.failure(error, owner, `a deployment in ${owner}/${repo}`);
    }
  }
  /** GitHub's deployment of `sha` to `environment` whose payload carries `deploymentId`, if any. */
  async findDeployment(
    owner: string,
    repo: string,
    sha: string,
    environment: string,
    deploymentId: string,
  ): Promise<number | undefined> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.listDeployments({
        owner,
        repo,
        sha,
        environment,
        per_page: 100,
      });
      return data.find(
        (found) =>
          typeof found.payload === 'object' &&
          (found.payload as { deployment_id?: unknown }).deployment_id === deploymentId,
      )?.id;
    } catch (error) {
      throw this.failure(error, owner, `the deployments of ${owner}/${repo}`);
    }
  }
  async createDeploymentStatus(request: GithubDeploymentStatusRequest): Promise<void> {
    const { owner, repo } = request;
    const octokit = await this.octokit(owner, repo);
    try {
      await octokit.rest.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: request.deploymentId,
        state: request.state,
        description: request.description.slice(0, 140),
        ...(request.logUrl ? { log_url: request.logUrl } : {}),
        ...(request.environmentUrl ? { environment_url: request.environmentUrl } : {}),
      });
    } catch (error) {
      throw this.failure(error, owner, `deployment ${request.deploymentId} in ${owner}/${repo}`);
    }
  }
}
