import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubError, translateGithubError } from './github.errors';
import { ChatopsOctokit, createOctokit, OctokitOptions } from './octokit';

/** An owner's installation is looked up again after this long (it may have been reinstalled). */
export const INSTALLATION_CACHE_MS = 60 * 60_000;

/**
 * The Octokit for each repository. With a token there is one. With a GitHub App there is one per
 * installation: `GITHUB_APP_INSTALLATION_ID` when set, else the installation of each owner, found
 * with `GET /repos/{owner}/{repo}/installation` (JWT) and kept for an hour; forgotten when GitHub
 * answers 401 or 404 through it (uninstalled, or moved to another installation).
 */
export class GithubConnections {
  readonly identity: 'token' | 'app';
  private readonly single?: ChatopsOctokit;
  private readonly app?: ChatopsOctokit;
  private readonly installations = new Map<number, ChatopsOctokit>();
  private readonly owners = new Map<string, { installationId: Promise<number>; until: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly options: OctokitOptions,
    private readonly clock: Clock,
  ) {
    const identity = config.github.identity;
    this.identity = identity.kind;
    if (identity.kind === 'token') {
      this.single = createOctokit(config, metrics, identity, options);
    } else if (identity.installationId) {
      this.single = this.installation(identity.installationId);
    } else {
      this.app = createOctokit(config, metrics, { ...identity, clock }, options);
    }
  }

  async forRepo(owner: string, repo: string): Promise<ChatopsOctokit> {
    if (this.single) return this.single;
    const key = owner.toLowerCase();
    const now = this.clock.now().getTime();
    let cached = this.owners.get(key);
    if (!cached || cached.until <= now) {
      cached = {
        installationId: this.findInstallation(owner, repo),
        until: now + INSTALLATION_CACHE_MS,
      };
      this.owners.set(key, cached);
      // A failed lookup is not kept: the next request asks again.
      cached.installationId.catch(() => this.owners.delete(key));
    }
    return this.installation(await cached.installationId);
  }

  /** GitHub answered 401 or 404 through the owner's installation: look it up again next time. */
  forget(owner: string): void {
    this.owners.delete(owner.toLowerCase());
  }

  private async findInstallation(owner: string, repo: string): Promise<number> {
    try {
      const { data } = await this.app!.rest.apps.getRepoInstallation({ owner, repo });
      return data.id;
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        throw new GithubError(
          'GITHUB.APP_NOT_INSTALLED',
          `The GitHub App is not installed on ${owner}, or cannot see ${owner}/${repo}: install it on ${owner} and give it that repository.`,
          404,
        );
      }
      throw translateGithubError(error, `the App's installation on ${owner}/${repo}`, 'app');
    }
  }

  private installation(installationId: number): ChatopsOctokit {
    let octokit = this.installations.get(installationId);
    if (!octokit) {
      const identity = this.config.github.identity;
      if (identity.kind !== 'app') throw new Error('installations need a GitHub App');
      octokit = createOctokit(
        this.config,
        this.metrics,
        { ...identity, installationId, clock: this.clock },
        this.options,
      );
      this.installations.set(installationId, octokit);
    }
    return octokit;
  }
}
