import { Logger } from '@nestjs/common';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubError, translateGithubError } from './github.errors';

export const USER_AGENT = 'chatops-deploy-bot/0.1';

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
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
    const onLimit =
      (kind: string) => (retryAfter: number, _options: object, _o: unknown, retryCount: number) => {
        this.logger.warn(
          `GitHub ${kind} rate limit hit; retry in ${retryAfter} s (attempt ${retryCount + 1})`,
        );
        return retryCount < rateLimitRetries;
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
}

export { GithubError };
