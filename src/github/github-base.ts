import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { translateGithubError } from './github.errors';
import { GithubConnections } from './github-connections';
import { OctokitOptions } from './octokit';

/**
 * What every part of the GitHub client shares: the Octokit for a repository (the token, or its
 * installation) and how a failure becomes a plain sentence. The client is split by GitHub's API
 * areas (github-repos.ts, github-actions.ts, github-checks.ts, github-deployments-api.ts), each
 * extending the one before; GithubClient (github.client.ts) is the last.
 */
export class GithubBase {
  private readonly connections: GithubConnections;
  protected readonly webHost: string;

  constructor(
    config: AppConfig,
    metrics: AppMetrics,
    options: OctokitOptions = {},
    clock = new Clock(),
  ) {
    this.connections = new GithubConnections(config, metrics, options, clock);
    this.webHost = config.github.webHost;
  }

  /** The Octokit that speaks for the bot on this repository (the token, or its installation). */
  protected octokit(owner: string, repo: string) {
    return this.connections.forRepo(owner, repo);
  }

  /** A failure as a plain sentence; a 401 or 404 also drops the owner's cached installation. */
  protected failure(error: unknown, owner: string, what: string) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 404) this.connections.forget(owner);
    return translateGithubError(error, what, this.connections.identity);
  }
}

/** A workflow given by file name in .github/workflows or by its numeric id. */
export function workflowId(workflow: string): string | number {
  return /^\d+$/.test(workflow) ? Number(workflow) : workflow;
}
