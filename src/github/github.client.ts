import { Logger } from '@nestjs/common';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubError, translateGithubError } from './github.errors';
import { currentMember } from './member-context';

export const USER_AGENT = 'chatops-deploy-bot/0.1';
const MAX_RATE_LIMIT_WAIT_S = 10;

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
}

/** A commit as a person reviewing a deployment needs it. */
export interface CommitLine {
  sha: string;
  subject: string;
  /** The GitHub login when GitHub linked the commit to an account, else the name it claims. */
  author: string;
  /** False when GitHub could not link the commit to an account (the name is unverified). */
  verified: boolean;
}

export interface Comparison {
  /** How `head` relates to `base`. */
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  aheadBy: number;
  behindBy: number;
  /** Commits in `head` that `base` lacks, oldest first (at most 250). */
  commits: CommitLine[];
  url: string;
}

/** A workflow run, as the bot needs it. */
export interface RunInfo {
  id: number;
  /** The run's title: the workflow's run-name as rendered for this run. */
  displayTitle: string;
  status: string;
  conclusion: string | null;
  htmlUrl: string;
  headBranch: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DispatchRequest {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
}

export interface WorkflowInfo {
  id: number;
  path: string;
  name: string;
  state: string;
}

type RequestCounter = (route: string, status: string) => void;
type MemberCharge = (memberId: string) => Promise<void>;

/**
 * Charges every HTTP attempt made on behalf of a member (see member-context.ts) to that member's
 * budget before it is sent: one person cannot drain the token's rate limit for everyone.
 */
function chargeMembers(octokit: { hook: Octokit['hook'] }, options: object) {
  const charge = (options as { chargeMember?: MemberCharge }).chargeMember;
  if (!charge) return;
  octokit.hook.before('request', async () => {
    const member = currentMember();
    if (member) await charge(member);
  });
}

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

const ChatopsOctokit = Octokit.plugin(chargeMembers, countRequests, throttling, retry);
type ChatopsOctokit = InstanceType<typeof ChatopsOctokit>;

export interface GithubClientOptions {
  /** Base of the retry plugin's quadratic wait, in ms (0 in tests). */
  retryAfterBaseValue?: number;
  /** Retries allowed after a primary or secondary rate limit answer. */
  rateLimitRetries?: number;
  /** Charges a request made on behalf of a member; throws when their budget is spent. */
  chargeMember?: MemberCharge;
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
      chargeMember: options.chargeMember,
      throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
      // The plugin's own list (400, 401, 403, 404, 410, 422, 451) plus 409: a conflict (a run
      // that already finished) does not change by asking again.
      retry: {
        retryAfterBaseValue: options.retryAfterBaseValue ?? 1000,
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
      },
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

  /** The commit a branch points at; null when the repository has no such branch. */
  async getBranch(owner: string, repo: string, branch: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.repos.getBranch({ owner, repo, branch });
      // GitHub answers for a renamed branch with the branch it became: that is not this one.
      return data.name === branch ? data.commit.sha : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw translateGithubError(error, `branch ${branch} in ${owner}/${repo}`);
    }
  }

  /** The commit a tag points at (annotated tags followed); null when there is no such tag. */
  async getTag(owner: string, repo: string, tag: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` });
      if (data.object.type !== 'tag') return data.object.sha;
      const annotated = await this.octokit.rest.git.getTag({
        owner,
        repo,
        tag_sha: data.object.sha,
      });
      return annotated.data.object.sha;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw translateGithubError(error, `tag ${tag} in ${owner}/${repo}`);
    }
  }

  /** The full SHA of a commit given by its SHA or a prefix of it; null when there is none. */
  async getCommitSha(owner: string, repo: string, sha: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.repos.getCommit({ owner, repo, ref: sha });
      return data.sha;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return null;
      throw translateGithubError(error, `commit ${sha.slice(0, 12)} in ${owner}/${repo}`);
    }
  }

  /** The repository's branches, first `limit` by name (one request). */
  async listBranches(
    owner: string,
    repo: string,
    limit = 100,
  ): Promise<Array<{ name: string; sha: string }>> {
    try {
      const { data } = await this.octokit.rest.repos.listBranches({
        owner,
        repo,
        per_page: limit,
      });
      return data.map((branch) => ({ name: branch.name, sha: branch.commit.sha }));
    } catch (error) {
      throw translateGithubError(error, `the branches of ${owner}/${repo}`);
    }
  }

  /**
   * Dispatches the workflow. GitHub answers 200 with the run (github.com, GHES 3.21+) or 204
   * without it (older GHES); a GHES that rejects `return_run_details` gets the request once more
   * without it.
   */
  async dispatchWorkflow(request: DispatchRequest): Promise<{ runId?: number; runUrl?: string }> {
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
    const params = {
      owner: request.owner,
      repo: request.repo,
      workflow_id: /^\d+$/.test(request.workflow) ? Number(request.workflow) : request.workflow,
      // Fully qualified, so a tag of the same name can never stand in for the branch (GitHub's
      // own gh-aw dispatches with refs/heads/<branch> too: github/gh-aw#49408).
      ref: `refs/heads/${request.ref}`,
      inputs: request.inputs,
    };
    try {
      let response;
      try {
        response = await this.octokit.request(route, { ...params, return_run_details: true });
      } catch (error) {
        if (!mentionsReturnRunDetails(error)) throw error;
        response = await this.octokit.request(route, params);
      }
      const data = response.data as unknown as { workflow_run_id?: number; html_url?: string } | '';
      if (response.status === 200 && data && data.workflow_run_id) {
        return { runId: data.workflow_run_id, runUrl: data.html_url };
      }
      return {};
    } catch (error) {
      throw translateGithubError(
        error,
        `workflow ${request.workflow} in ${request.owner}/${request.repo}`,
      );
    }
  }

  /** Dispatch runs of the workflow on `branch` created at or after `since`, oldest first. */
  async listDispatchRuns(
    owner: string,
    repo: string,
    workflow: string,
    branch: string,
    since: Date,
  ): Promise<RunInfo[]> {
    try {
      const { data } = await this.octokit.rest.actions.listWorkflowRuns({
        owner,
        repo,
        workflow_id: /^\d+$/.test(workflow) ? Number(workflow) : workflow,
        event: 'workflow_dispatch',
        branch,
        // GitHub compares at second precision.
        created: `>=${new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')}`,
        per_page: 50,
      });
      return data.workflow_runs
        .map(toRunInfo)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
    } catch (error) {
      throw translateGithubError(error, `runs of ${workflow} in ${owner}/${repo}`);
    }
  }

  /** How `head` relates to `base`, and the commits `head` has that `base` lacks. */
  async compareCommits(
    owner: string,
    repo: string,
    base: string,
    head: string,
  ): Promise<Comparison> {
    try {
      const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
        owner,
        repo,
        basehead: `${base}...${head}`,
        per_page: 100,
      });
      return {
        status: data.status,
        aheadBy: data.ahead_by,
        behindBy: data.behind_by,
        url: data.html_url,
        commits: data.commits.map((commit) => ({
          sha: commit.sha,
          subject: commit.commit.message.split('\n')[0].slice(0, 120),
          author: commit.author?.login ?? commit.commit.author?.name ?? 'unknown',
          verified: Boolean(commit.author?.login),
        })),
      };
    } catch (error) {
      throw translateGithubError(
        error,
        `the comparison ${base.slice(0, 7)}...${head.slice(0, 7)} in ${owner}/${repo}`,
      );
    }
  }

  /** Asks GitHub to cancel a run (202); a run that has already completed is a 409. */
  async cancelRun(owner: string, repo: string, runId: number): Promise<void> {
    try {
      await this.octokit.rest.actions.cancelWorkflowRun({ owner, repo, run_id: runId });
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        throw new GithubError(
          'GITHUB.RUN_FINISHED',
          `Run ${runId} has already finished; nothing to cancel.`,
          409,
        );
      }
      throw translateGithubError(error, `run ${runId} in ${owner}/${repo}`);
    }
  }

  /** A conditional GET: a 304 (unchanged) costs no rate limit. */
  async getRun(
    owner: string,
    repo: string,
    runId: number,
    etag?: string,
  ): Promise<{ notModified: true } | { notModified: false; run: RunInfo; etag?: string }> {
    try {
      const response = await this.octokit.rest.actions.getWorkflowRun({
        owner,
        repo,
        run_id: runId,
        headers: etag ? { 'if-none-match': etag } : {},
      });
      return { notModified: false, run: toRunInfo(response.data), etag: response.headers.etag };
    } catch (error) {
      if ((error as { status?: number }).status === 304) return { notModified: true };
      throw translateGithubError(error, `run ${runId} in ${owner}/${repo}`);
    }
  }
}

export { GithubError };

function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

function toRunInfo(run: {
  id: number;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  head_branch: string | null;
  created_at: string;
  updated_at: string;
}): RunInfo {
  return {
    id: run.id,
    displayTitle: run.display_title ?? '',
    status: run.status ?? 'queued',
    conclusion: run.conclusion,
    htmlUrl: run.html_url,
    headBranch: run.head_branch,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
  };
}

function mentionsReturnRunDetails(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  const message = JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? '');
  return status === 422 && message.includes('return_run_details');
}
