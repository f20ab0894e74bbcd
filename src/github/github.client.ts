import { Logger } from '@nestjs/common';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubError, translateGithubError } from './github.errors';

export const USER_AGENT = 'chatops-deploy-bot/0.1';
const MAX_RATE_LIMIT_WAIT_S = 10;

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
}

export interface WorkflowInfo {
  id: number;
  path: string;
  name: string;
  state: string;
}

type RequestCounter = (route: string, status: string) => void;

/**
 * Counts every HTTP attempt, retries included. Registered as the first plugin so that its hook
 * sits innermost, under the retry and throttling plugins.
 */
function countRequests(octokit: { hook: Octokit['hook'] }, options: object) {
  const count = (options as { countRequest?: RequestCounter }).countRequest;
  if (!count) return;
  octokit.hook.wrap('request', async (request, route) => {
    try {
      const response = await request(route);
      count(String(route.url), String(response.status));
      return response;
    } catch (error) {
      count(String(route.url), String((error as { status?: number }).status ?? 'network_error'));
      throw error;
    }
  });
}

const ChatopsOctokit = Octokit.plugin(countRequests, throttling, retry);
type ChatopsOctokit = InstanceType<typeof ChatopsOctokit>;

export interface GithubClientOptions {
  /** Base of the retry plugin's quadratic wait, in ms (0 in tests). */
  retryAfterBaseValue?: number;
  /** Retries allowed after a primary or secondary rate limit answer. */
  rateLimitRetries?: number;
}

/** The only file that knows Octokit: translates GitHub to and from plain data. */
export class GithubClient {
  private readonly logger = new Logger('GitHub');
  private readonly octokit: ChatopsOctokit;

  constructor(config: AppConfig, metrics: AppMetrics, options: GithubClientOptions = {}) {
    const rateLimitRetries = options.rateLimitRetries ?? 1;
    // Wait out a short limit once; a long one is reported at once (a command cannot hang for an hour).
    const onLimit =
      (kind: string) =>
      (retryAfter: number, _options: object, _octokit: unknown, retryCount: number) => {
        const retry = retryCount < rateLimitRetries && retryAfter <= MAX_RATE_LIMIT_WAIT_S;
        this.logger.warn(
          `GitHub ${kind} rate limit hit; ${retry ? `retrying in ${retryAfter} s` : 'giving up'}`,
        );
        return retry;
      };
    this.octokit = new ChatopsOctokit({
      auth: config.github.token,
      baseUrl: config.github.apiUrl,
      userAgent: USER_AGENT,
      countRequest: (route: string, status: string) =>
        metrics.githubRequests.inc({ route, status }),
      throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
      retry: { retryAfterBaseValue: options.retryAfterBaseValue ?? 1000 },
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (message: string) => this.logger.warn(message),
        error: (message: string) => this.logger.debug(message),
      },
    } as ConstructorParameters<typeof ChatopsOctokit>[0]);
  }

  async getRepository(owner: string, repo: string): Promise<RepositoryInfo> {
    try {
      const { data } = await this.octokit.rest.repos.get({ owner, repo });
      return { fullName: data.full_name, defaultBranch: data.default_branch };
    } catch (error) {
      throw translateGithubError(error, `repository ${owner}/${repo}`);
    }
  }

  /** `workflow` is a file name in .github/workflows or a numeric id. */
  async getWorkflow(owner: string, repo: string, workflow: string): Promise<WorkflowInfo> {
    try {
      const { data } = await this.octokit.rest.actions.getWorkflow({
        owner,
        repo,
        workflow_id: /^\d+$/.test(workflow) ? Number(workflow) : workflow,
      });
      return { id: data.id, path: data.path, name: data.name, state: data.state };
    } catch (error) {
      throw translateGithubError(error, `workflow ${workflow} in ${owner}/${repo}`);
    }
  }

  /** The commit a branch, tag or SHA points at. */
  async resolveRef(owner: string, repo: string, ref: string): Promise<{ sha: string }> {
    try {
      const { data } = await this.octokit.rest.repos.getCommit({ owner, repo, ref });
      return { sha: data.sha };
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) {
        throw new GithubError(
          'GITHUB.UNKNOWN_REF',
          `${owner}/${repo} has no branch, tag or commit "${ref}".`,
          status,
        );
      }
      throw translateGithubError(error, `ref ${ref} in ${owner}/${repo}`);
    }
  }
}

export { GithubError };
