import { GithubError } from './github.errors';
import type { DispatchRequest, RunInfo, RunJobInfo, WorkflowInfo } from './github.types';
import { workflowId } from './github-base';
import { mentionsReturnRunDetails, toRunInfo, toRunJob } from './github.mapping';
import { GithubRepos } from './github-repos';

/** GitHub compares `created` at second precision. */
function secondsIso(at: Date): string {
  return new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** GitHub Actions: workflows, the dispatch, runs and their jobs. */
export class GithubActions extends GithubRepos {
  /** `workflow` is a file name in .github/workflows or a numeric id. */
  async getWorkflow(owner: string, repo: string, workflow: string): Promise<WorkflowInfo> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.actions.getWorkflow({
        owner,
        repo,
        workflow_id: workflowId(workflow),
      });
      return { id: data.id, path: data.path, name: data.name, state: data.state };
    } catch (error) {
      throw this.failure(error, owner, `workflow ${workflow} in ${owner}/${repo}`);
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
      workflow_id: workflowId(request.workflow),
      // Fully qualified, so a tag of the same name can never stand in for the branch (GitHub's
      // own gh-aw dispatches with refs/heads/<branch> too: github/gh-aw#49408).
      ref: `refs/heads/${request.ref}`,
      inputs: request.inputs,
      ...(request.signal ? { request: { signal: request.signal } } : {}),
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
        workflow_id: workflowId(workflow),
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
  /**
   * The bot's own App's slug (it acts on GitHub as `<slug>[bot]`), asked once with the App's JWT
   * (https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app). Only the answer is
   * remembered.
   */
  async ownAppSlug(owner: string, repo: string): Promise<string> {
    if (this.appSlug) return this.appSlug;
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.request('GET /app');
      const slug = (data as { slug?: string } | null)?.slug;
      if (!slug) throw new GithubError('GITHUB.UNPROCESSABLE', 'GitHub did not name the App.');
      this.appSlug = slug;
      return slug;
    } catch (error) {
      // Not remembered: a failure that passes (a 401 on a skewed clock, a rate limit) is asked again.
      if (error instanceof GithubError) throw error;
      throw this.failure(error, owner, 'the App itself');
    }
  }

  private appSlug?: string;

  /**
   * Answers the environment's custom deployment protection rule for a run (the bot's App is the
   * rule): every job of the run waiting on `environment` goes on (`approved`) or fails
   * (`rejected`). Safe to send again after a lost answer: once GitHub has taken one, it answers
   * 422 (nothing waits any more), which is `not-waiting`. Always to the configured API host,
   * never to the callback URL a delivery names.
   * https://docs.github.com/en/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run
   */
  async reviewProtectionRule(request: {
    owner: string;
    repo: string;
    runId: number;
    environment: string;
    state: 'approved' | 'rejected';
    comment: string;
  }): Promise<'accepted' | 'not-waiting'> {
    const { owner, repo } = request;
    const octokit = await this.octokit(owner, repo);
    try {
      await octokit.rest.actions.reviewCustomGatesForRun({
        owner,
        repo,
        run_id: request.runId,
        environment_name: request.environment,
        state: request.state,
        comment: request.comment,
        request: { retries: 0 },
      });
      return 'accepted';
    } catch (error) {
      if ((error as { status?: number }).status === 422) return 'not-waiting';
      throw this.failure(error, owner, `the protection rule of run ${request.runId}`);
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
        workflow_id: workflowId(workflow),
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
