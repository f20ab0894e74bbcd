import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubError, githubMessage, translateGithubError } from './github.errors';
import type {
  BranchInfo,
  CommitChecksRead,
  CommitStatusInfo,
  Comparison,
  DispatchRequest,
  GithubDeploymentRequest,
  GithubDeploymentStatusRequest,
  RepositoryInfo,
  RunInfo,
  RunJobInfo,
  WorkflowInfo,
} from './github.types';
import { GithubConnections } from './github-connections';
import {
  isNotFound,
  mentionsReturnRunDetails,
  toCheckRun,
  toCommitLine,
  toCommitStatus,
  toRunInfo,
  toRunJob,
} from './github.mapping';
import { OctokitOptions } from './octokit';

export type * from './github.types';
export type GithubClientOptions = OctokitOptions;

/** GitHub compares `created` at second precision. */
function secondsIso(at: Date): string {
  return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The only file that knows Octokit: translates GitHub to and from plain data. */
export class GithubClient {
  private readonly connections: GithubConnections;
  private readonly webHost: string;

  constructor(
    config: AppConfig,
    metrics: AppMetrics,
    options: GithubClientOptions = {},
    clock = new Clock(),
  ) {
    this.connections = new GithubConnections(config, metrics, options, clock);
    this.webHost = config.github.webHost;
  }

  /** The Octokit that speaks for the bot on this repository (the token, or its installation). */
  private octokit(owner: string, repo: string) {
    return this.connections.forRepo(owner, repo);
  }

  /** A failure as a plain sentence; a 401 or 404 also drops the owner's cached installation. */
  private failure(error: unknown, owner: string, what: string) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 404) this.connections.forget(owner);
    return translateGithubError(error, what, this.connections.identity);
  }

  async getRepository(owner: string, repo: string): Promise<RepositoryInfo> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.get({ owner, repo });
      return { fullName: data.full_name, defaultBranch: data.default_branch };
    } catch (error) {
      throw this.failure(error, owner, `repository ${owner}/${repo}`);
    }
  }

  /** `workflow` is a file name in .github/workflows or a numeric id. */
  async getWorkflow(owner: string, repo: string, workflow: string): Promise<WorkflowInfo> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.actions.getWorkflow({
        owner,
        repo,
        workflow_id: /^\d+$/.test(workflow) ? Number(workflow) : workflow,
      });
      return { id: data.id, path: data.path, name: data.name, state: data.state };
    } catch (error) {
      throw this.failure(error, owner, `workflow ${workflow} in ${owner}/${repo}`);
    }
  }

  /** The commit a branch points at; null when the repository has no such branch. */
  async getBranch(owner: string, repo: string, branch: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      // GitHub answers for a renamed branch with the branch it became: that is not this one.
      return data.name === branch ? data.commit.sha : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `branch ${branch} in ${owner}/${repo}`);
    }
  }

  /** A branch and whether it is protected; null when the repository has no such branch. */
  async getBranchInfo(owner: string, repo: string, branch: string): Promise<BranchInfo | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      if (data.name !== branch) return null;
      return { name: data.name, sha: data.commit.sha, protected: Boolean(data.protected) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `branch ${branch} in ${owner}/${repo}`);
    }
  }

  /** The commit a tag points at (annotated tags followed); null when there is no such tag. */
  async getTag(owner: string, repo: string, tag: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` });
      if (data.object.type !== 'tag') return data.object.sha;
      const annotated = await octokit.rest.git.getTag({
        owner,
        repo,
        tag_sha: data.object.sha,
      });
      return annotated.data.object.sha;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `tag ${tag} in ${owner}/${repo}`);
    }
  }

  /** The full SHA of a commit given by its SHA or a prefix of it; null when there is none. */
  async getCommitSha(owner: string, repo: string, sha: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getCommit({ owner, repo, ref: sha });
      return data.sha;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return null;
      throw this.failure(error, owner, `commit ${sha.slice(0, 12)} in ${owner}/${repo}`);
    }
  }

  /** The repository's branches, first `limit` by name (one request). */
  async listBranches(
    owner: string,
    repo: string,
    limit = 100,
  ): Promise<Array<{ name: string; sha: string }>> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.listBranches({
        owner,
        repo,
        per_page: limit,
      });
      return data.map((branch) => ({ name: branch.name, sha: branch.commit.sha }));
    } catch (error) {
      throw this.failure(error, owner, `the branches of ${owner}/${repo}`);
    }
  }

  /**
   * Dispatches the workflow, once: the request is never sent again after an unclear answer.
   * GitHub answers 200 with the run (github.com, GHES 3.21+) or 204 without it (older GHES); a
   * GHES that refuses `return_run_details` (a 422: nothing was done) gets the request once more
   * without it. An answer that never came or says nothing definite (a 5xx, a timeout, a dropped
   * connection) throws `GITHUB.OUTCOME_UNKNOWN`: GitHub may have started a run.
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
    const octokit = await this.octokit(request.owner, request.repo);
    try {
      let response;
      try {
        response = await octokit.request(route, { ...params, return_run_details: true });
      } catch (error) {
        if (!mentionsReturnRunDetails(error)) throw error;
        response = await octokit.request(route, params);
      }
      const data = response.data as unknown as { workflow_run_id?: number; html_url?: string } | '';
      if (response.status === 200 && data && data.workflow_run_id) {
        return { runId: data.workflow_run_id, runUrl: data.html_url };
      }
      return {};
    } catch (error) {
      const what = `workflow ${request.workflow} in ${request.owner}/${request.repo}`;
      if (outcomeUnknown(error))
        throw new GithubError(
          'GITHUB.OUTCOME_UNKNOWN',
          `GitHub's answer to the dispatch of ${what} was lost (${lostAnswerOf(error)}): it may have started a run`,
          (error as { status?: number }).status,
        );
      throw this.failure(error, request.owner, what);
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
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.actions.listWorkflowRuns({
        owner,
        repo,
        workflow_id: /^\d+$/.test(workflow) ? Number(workflow) : workflow,
        event: 'workflow_dispatch',
        branch,
        created: `>=${secondsIso(since)}`,
        per_page: 50,
      });
      return data.workflow_runs
        .map(toRunInfo)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
    } catch (error) {
      throw this.failure(error, owner, `runs of ${workflow} in ${owner}/${repo}`);
    }
  }

  /** How `head` relates to `base`, and the commits `head` has that `base` lacks. */
  async compareCommits(
    owner: string,
    repo: string,
    base: string,
    head: string,
  ): Promise<Comparison> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
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
        commits: data.commits.map(toCommitLine),
      };
    } catch (error) {
      throw this.failure(
        error,
        owner,
        `the comparison ${base.slice(0, 7)}...${head.slice(0, 7)} in ${owner}/${repo}`,
      );
    }
  }

  /**
   * What CI says about a commit, read conditionally on the ETags of the last read: its check
   * runs (the latest of each name per suite, `filter=latest`, with the App that reported each)
   * and every commit status, newest first, with its creator (not the combined status: that
   * keeps only the latest per context, and so hides who turned a failure into a success). A list
   * whose first page is unchanged (304) is `unchanged`; up to 5 pages of check runs and 3 of
   * statuses, the rest counted as unread.
   * https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
   * https://docs.github.com/en/rest/commits/statuses#list-commit-statuses-for-a-reference
   */
  async readCommitChecks(
    owner: string,
    repo: string,
    sha: string,
    etags: { runs?: string; statuses?: string } = {},
  ): Promise<CommitChecksRead> {
    const octokit = await this.octokit(owner, repo);
    try {
      const runs = await readPages(MAX_CHECK_PAGES, etags.runs, async (page, headers) => {
        const { data, headers: answer } = await octokit.rest.checks.listForRef({
          owner,
          repo,
          ref: sha,
          filter: 'latest',
          per_page: 100,
          page,
          headers,
        });
        return {
          items: data.check_runs.map(toCheckRun),
          total: data.total_count,
          etag: answer.etag,
        };
      });
      const statuses = await readPages(MAX_STATUS_PAGES, etags.statuses, async (page, headers) => {
        const { data, headers: answer } = await octokit.rest.repos.listCommitStatusesForRef({
          owner,
          repo,
          ref: sha,
          per_page: 100,
          page,
          headers,
        });
        const items: CommitStatusInfo[] = data.map((status) =>
          toCommitStatus(status, this.webHost),
        );
        // No total in this answer: a full page means there may be more.
        return { items, total: undefined, etag: answer.etag };
      });
      return { runs, statuses };
    } catch (error) {
      throw this.failure(error, owner, `the checks of ${sha.slice(0, 12)} in ${owner}/${repo}`);
    }
  }

  /** Asks GitHub to cancel a run (202); a run that has already completed is a 409. */
  async cancelRun(owner: string, repo: string, runId: number): Promise<void> {
    const octokit = await this.octokit(owner, repo);
    try {
      await octokit.rest.actions.cancelWorkflowRun({ owner, repo, run_id: runId });
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        throw new GithubError(
          'GITHUB.RUN_FINISHED',
          `Run ${runId} has already finished; nothing to cancel.`,
          409,
        );
      }
      throw this.failure(error, owner, `run ${runId} in ${owner}/${repo}`);
    }
  }

  /**
   * One page (GitHub's largest, 100) of the workflow's dispatch runs created at or after
   * `since`, newest first, asked for conditionally on the last ETag of the same query: a 304
   * says no run on it changed.
   * https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
   */
  async listRecentRuns(
    owner: string,
    repo: string,
    workflow: string,
    since: Date,
    etag?: string,
  ): Promise<{ notModified: true } | { notModified: false; runs: RunInfo[]; etag?: string }> {
    const octokit = await this.octokit(owner, repo);
    try {
      const response = await octokit.rest.actions.listWorkflowRuns({
        owner,
        repo,
        workflow_id: /^\d+$/.test(workflow) ? Number(workflow) : workflow,
        event: 'workflow_dispatch',
        created: `>=${secondsIso(since)}`,
        exclude_pull_requests: true,
        per_page: 100,
        headers: etag ? { 'if-none-match': etag } : {},
      });
      return {
        notModified: false,
        runs: response.data.workflow_runs.map(toRunInfo),
        etag: response.headers.etag,
      };
    } catch (error) {
      if ((error as { status?: number }).status === 304) return { notModified: true };
      throw this.failure(error, owner, `runs of ${workflow} in ${owner}/${repo}`);
    }
  }

  /** A conditional GET: a 304 (unchanged) costs no rate limit. */
  async getRun(
    owner: string,
    repo: string,
    runId: number,
    etag?: string,
  ): Promise<{ notModified: true } | { notModified: false; run: RunInfo; etag?: string }> {
    const octokit = await this.octokit(owner, repo);
    try {
      const response = await octokit.rest.actions.getWorkflowRun({
        owner,
        repo,
        run_id: runId,
        headers: etag ? { 'if-none-match': etag } : {},
      });
      return { notModified: false, run: toRunInfo(response.data), etag: response.headers.etag };
    } catch (error) {
      if ((error as { status?: number }).status === 304) return { notModified: true };
      throw this.failure(error, owner, `run ${runId} in ${owner}/${repo}`);
    }
  }

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

  /** The jobs of a run's latest attempt (first 100). */
  async listRunJobs(owner: string, repo: string, runId: number): Promise<RunJobInfo[]> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.actions.listJobsForWorkflowRun({
        owner,
        repo,
        run_id: runId,
        filter: 'latest',
        per_page: 100,
      });
      return data.jobs.map(toRunJob);
    } catch (error) {
      throw this.failure(error, owner, `the jobs of run ${runId} in ${owner}/${repo}`);
    }
  }
}

export { GithubError };

/** Check runs read per commit: 500 at most (5 pages of 100). */
const MAX_CHECK_PAGES = 5;
/** Commit statuses read per commit: 300 at most (3 pages of 100, newest first). */
const MAX_STATUS_PAGES = 3;

/**
 * Reads a list page by page, the first conditionally on `etag` (a 304: `unchanged`), until a
 * page is short, the total is reached, or `maxPages` were read (the rest counted as unread:
 * the known total's remainder, or one more page's worth when GitHub gives no total).
 */
async function readPages<T>(
  maxPages: number,
  etag: string | undefined,
  readPage: (
    page: number,
    headers: Record<string, string>,
  ) => Promise<{ items: T[]; total: number | undefined; etag?: string }>,
): Promise<{ items: T[]; unread: number; etag?: string } | 'unchanged'> {
  const items: T[] = [];
  let firstEtag: string | undefined;
  let unread = 0;
  for (let page = 1; page <= maxPages; page++) {
    let answer;
    try {
      answer = await readPage(page, page === 1 && etag ? { 'if-none-match': etag } : {});
    } catch (error) {
      if (page === 1 && (error as { status?: number }).status === 304) return 'unchanged';
      throw error;
    }
    if (page === 1) firstEtag = answer.etag;
    items.push(...answer.items);
    const complete =
      answer.items.length < 100 || (answer.total !== undefined && items.length >= answer.total);
    if (complete) return { items, unread: 0, etag: firstEtag };
    if (page === maxPages) unread = answer.total !== undefined ? answer.total - items.length : 1;
  }
  return { items, unread, etag: firstEtag };
}

/**
 * Whether GitHub may have done what a write asked though its answer says nothing definite: a
 * 5xx (a proxy's 502 or 504 after GitHub accepted it), a timeout, a connection reset. A
 * connection that was never made (refused, unknown host) sent nothing; a 4xx is a refusal.
 */
export function outcomeUnknown(error: unknown): boolean {
  if (error instanceof GithubError) return false;
  const status = (error as { status?: number }).status;
  if (status !== undefined && status < 500) return false;
  const cause = (error as { cause?: { code?: string; cause?: { code?: string } } }).cause;
  const code = cause?.code ?? cause?.cause?.code;
  return !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String(code));
}

/** What became of a write's answer, in a few words. */
function lostAnswerOf(error: unknown): string {
  const answered = (error as { response?: { status?: number } }).response?.status;
  if (answered) return `GitHub answered ${answered}`;
  // Octokit wraps the abort of a request past its deadline; the cause names it.
  const names = [error, (error as { cause?: unknown }).cause].map((e) =>
    String((e as { name?: string } | undefined)?.name ?? ''),
  );
  if (names.some((name) => name === 'TimeoutError' || name === 'AbortError'))
    return 'no answer in time';
  return 'the connection broke';
}
