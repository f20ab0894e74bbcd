import { createHash, KeyObject } from 'node:crypto';
import {
  accountOf,
  APP_PERMISSIONS,
  DispatchMode,
  FakeApp,
  FakeCheckRun,
  FakeCommit,
  FakeDeployment,
  FakeDispatch,
  FakeJob,
  FakeRepo,
  FakeRun,
  FakeWorkflow,
  InstallationToken,
} from './model';

/**
 * The fake GitHub's state and the driver tests use to arrange it: repositories with a real
 * commit graph (branches, tags, pull request refs), check runs and commit statuses, workflows and
 * their runs and jobs, deployments, the GitHub App and its installations. The HTTP side is
 * fake-github.ts; what each route answers is in routes/.
 */
export class GithubState {
  readonly dispatches: FakeDispatch[] = [];
  readonly runs = new Map<number, FakeRun>();
  readonly repos = new Map<string, FakeRepo>();
  /** Installation tokens handed out, by token (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app). */
  readonly installationTokens = new Map<string, InstallationToken>();
  /** Deployments recorded through the Deployments API, oldest first. */
  readonly deployments: FakeDeployment[] = [];
  readonly jobs = new Map<number, FakeJob>();
  /** How dispatch answers (see DispatchMode). */
  dispatchMode: DispatchMode = 'details';
  /** When false, a dispatch creates no run (GitHub has not started one). */
  createRunsOnDispatch = true;
  /** The user whose personal token the fake accepts: the actor of the runs it dispatches. */
  personalLogin = 'deploy-operator';
  app?: FakeApp;
  nextDeploymentId = 700_001;
  nextJobId = 30_000_001;
  nextRunId = 9_000_001;
  nextCheckId = 5_000_001;
  nextWorkflowId = 100;
  commitCount = 0;

  /** Adds a repository with a default branch, one commit on it, and `deploy.yml`. */
  addRepo(
    owner: string,
    name: string,
    {
      defaultBranch = 'main',
      workflows = ['deploy.yml'] as Array<string | Omit<FakeWorkflow, 'id'>>,
      ci = true,
    } = {},
  ): FakeRepo {
    const repo: FakeRepo = {
      owner,
      name,
      defaultBranch,
      commits: new Map(),
      branches: new Map(),
      tags: new Map(),
      pulls: new Map(),
      workflows: [],
      checkRuns: new Map(),
      statuses: new Map(),
      ci,
    };
    for (const workflow of workflows) {
      const spec =
        typeof workflow === 'string'
          ? { path: `.github/workflows/${workflow}`, name: workflow }
          : workflow;
      repo.workflows.push({ id: this.nextWorkflowId++, ...spec });
    }
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    this.addCommit(owner, name, defaultBranch, 'Initial commit');
    return repo;
  }

  /**
   * Adds a commit on top of `branch` (a new branch starts from `from`, by default the head of
   * the default branch) and moves the branch to it. `author: null` is a commit GitHub could not
   * link to an account. Returns its SHA.
   */
  /** Deletes a branch, as a push deleting it would (its commits stay reachable by SHA). */
  deleteBranch(owner: string, name: string, branch: string): void {
    this.repo(owner, name).branches.delete(branch);
  }

  addCommit(
    owner: string,
    name: string,
    branch: string,
    message: string,
    author: string | null = 'octocat',
    { from, authorName, date }: { from?: string; authorName?: string; date?: Date } = {},
  ): string {
    const repo = this.repo(owner, name);
    const parent = repo.branches.get(branch) ?? from ?? repo.branches.get(repo.defaultBranch);
    const sha = this.newCommit(repo, message, author, authorName, parent ? [parent] : [], date);
    repo.branches.set(branch, sha);
    return sha;
  }

  /**
   * A pull request whose head commit lives only under `refs/pull/N/head`, as a fork's does: no
   * branch of the repository contains it. Returns its SHA.
   */
  addPullRequest(owner: string, name: string, number: number, message: string): string {
    const repo = this.repo(owner, name);
    const base = repo.branches.get(repo.defaultBranch)!;
    const sha = this.newCommit(repo, message, 'outsider', undefined, [base]);
    repo.pulls.set(number, sha);
    return sha;
  }

  /** A repository as the fake keeps it (its default branch may be changed, say). */
  repoOf(owner: string, name: string): FakeRepo {
    return this.repo(owner, name);
  }

  branchHead(owner: string, name: string, branch: string): string {
    const sha = this.repo(owner, name).branches.get(branch);
    if (!sha) throw new Error(`no branch ${branch}`);
    return sha;
  }

  workflowId(owner: string, name: string, file = 'deploy.yml'): number {
    return this.workflow(owner, name, file).id;
  }

  /**
   * Turns on GitHub App authentication: the App may sign JWTs with the private key matching
   * `publicKey`; `installations` maps owners to installation ids (and their permissions, all the
   * bot needs by default). The personal token keeps working beside it.
   */
  enableApp(
    appId: number,
    publicKey: KeyObject,
    installations: Record<
      string,
      number | { id: number; permissions: Record<string, 'read' | 'write'> }
    >,
    tokenTtlMs = 60 * 60_000,
  ): FakeApp {
    this.app = {
      appId,
      slug: 'chatops-deploy-bot',
      publicKey,
      tokenTtlMs,
      installations: new Map(
        Object.entries(installations).map(([owner, installation]) => [
          owner.toLowerCase(),
          typeof installation === 'number'
            ? { id: installation, permissions: APP_PERMISSIONS }
            : installation,
        ]),
      ),
    };
    return this.app;
  }

  /** Every installation token handed out so far stops working (as when its hour is over). */
  expireInstallationTokens(): void {
    for (const token of this.installationTokens.values()) token.expiresAt = 0;
  }

  addTag(owner: string, name: string, tag: string, sha: string): void {
    this.repo(owner, name).tags.set(tag, sha);
  }

  /**
   * Adds a check run on `sha` (or, with the same name, a newer one: a re-run), as a GitHub App's
   * CI would (GitHub Actions unless `app` names another App's slug). Returns its id.
   */
  addCheckRun(
    owner: string,
    name: string,
    sha: string,
    checkName: string,
    status: FakeCheckRun['status'],
    conclusion: string | null = null,
    app = 'github-actions',
  ): number {
    const runs = this.repo(owner, name).checkRuns;
    const run = { id: this.nextCheckId++, name: checkName, status, conclusion, app };
    runs.set(sha, [...(runs.get(sha) ?? []), run]);
    return run.id;
  }

  /** Moves a check run on (`completed` with a conclusion, say). */
  updateCheckRun(
    owner: string,
    name: string,
    id: number,
    status: FakeCheckRun['status'],
    conclusion: string | null = null,
  ): void {
    for (const runs of this.repo(owner, name).checkRuns.values()) {
      const run = runs.find((candidate) => candidate.id === id);
      if (run) Object.assign(run, { status, conclusion });
    }
  }

  /**
   * Posts a commit status as `creator` (https://docs.github.com/en/rest/commits/statuses#create-a-commit-status):
   * every status is kept; the combined status shows the latest per context.
   */
  setCommitStatus(
    owner: string,
    name: string,
    sha: string,
    context: string,
    state: string,
    { creator = 'ci-bot', targetUrl }: { creator?: string; targetUrl?: string } = {},
  ): void {
    const statuses = this.repo(owner, name).statuses;
    statuses.set(sha, [
      ...(statuses.get(sha) ?? []),
      {
        context,
        state,
        targetUrl: targetUrl ?? `https://ci.example/${context}/${sha.slice(0, 7)}`,
        id: this.nextCheckId++,
        creator,
        createdAt: new Date().toISOString(),
      },
    ]);
  }

  /** Moves a run on, as GitHub would: the ETag changes with it. */
  setRunStatus(
    runId: number,
    status: FakeRun['status'],
    conclusion: string | null = null,
  ): FakeRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.status = status;
    run.conclusion = conclusion;
    run.updatedAt = new Date().toISOString();
    return run;
  }

  /**
   * Creates a run as if someone else (`octocat`, unless `actor` says) had dispatched the workflow
   * (a decoy for run matching), or with `event`, as that event would.
   */
  createRun(
    owner: string,
    repo: string,
    workflowId: number,
    branch: string,
    sha: string,
    inputs: Record<string, string> = {},
    { event = 'workflow_dispatch', actor = 'octocat' }: { event?: string; actor?: string } = {},
  ): FakeRun {
    const now = new Date().toISOString();
    const workflow = this.repo(owner, repo).workflows.find((w) => w.id === workflowId)!;
    const run: FakeRun = {
      id: this.nextRunId++,
      owner,
      repo,
      workflowId,
      workflowPath: workflow.path,
      name: workflow.name,
      displayTitle: renderRunName(workflow, inputs),
      headBranch: branch,
      headSha: sha,
      event,
      status: 'queued',
      conclusion: null,
      createdAt: now,
      updatedAt: now,
      runStartedAt: now,
      runNumber: this.runs.size + 1,
      runAttempt: 1,
      actor,
      triggeringActor: actor,
      inputs,
    };
    this.runs.set(run.id, run);
    return run;
  }

  /** The payload GitHub sends in a `workflow_run` webhook for `run`. */
  runPayload(run: FakeRun): Record<string, unknown> {
    return {
      id: run.id,
      name: run.name,
      display_title: run.displayTitle,
      path: run.workflowPath,
      head_branch: run.headBranch,
      head_sha: run.headSha,
      run_number: run.runNumber,
      run_attempt: run.runAttempt,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      html_url: this.runHtmlUrl(run),
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      run_started_at: run.runStartedAt,
      actor: accountOf(run.actor),
      triggering_actor: accountOf(run.triggeringActor),
      repository: {
        full_name: `${run.owner}/${run.repo}`,
        name: run.repo,
        owner: { login: run.owner },
      },
    };
  }

  /** Adds a job to a run, its steps queued (GitHub numbers steps from 1). */
  addJob(runId: number, name: string, steps: string[]): FakeJob {
    const job: FakeJob = {
      id: this.nextJobId++,
      runId,
      runAttempt: this.runs.get(runId)?.runAttempt ?? 1,
      name,
      status: 'queued',
      conclusion: null,
      steps: steps.map((step, index) => ({
        number: index + 1,
        name: step,
        status: 'queued',
        conclusion: null,
      })),
      startedAt: new Date().toISOString(),
      completedAt: null,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /**
   * Moves a job on: `running` steps before it succeeded, step `running` in progress (or, with a
   * conclusion, the job completed with that step concluding so and the rest skipped).
   */
  setJob(
    jobId: number,
    status: FakeJob['status'],
    options: { running?: number; conclusion?: string } = {},
  ): FakeJob {
    const job = this.jobs.get(jobId)!;
    job.status = status;
    const at = options.running ?? 0;
    for (const step of job.steps) {
      if (step.number < at) Object.assign(step, { status: 'completed', conclusion: 'success' });
      else if (step.number === at)
        Object.assign(
          step,
          status === 'completed'
            ? { status: 'completed', conclusion: options.conclusion ?? 'success' }
            : { status: 'in_progress', conclusion: null },
        );
      else if (status === 'completed')
        Object.assign(step, {
          status: 'completed',
          conclusion: options.conclusion === 'success' ? 'success' : 'skipped',
        });
    }
    job.conclusion = status === 'completed' ? (options.conclusion ?? 'success') : null;
    job.completedAt = status === 'completed' ? new Date().toISOString() : null;
    return job;
  }

  /** A job as the REST API and the `workflow_job` webhook show it. */
  jobPayload(job: FakeJob): Record<string, unknown> {
    const run = this.runs.get(job.runId)!;
    return {
      id: job.id,
      run_id: job.runId,
      run_attempt: job.runAttempt,
      workflow_name: run.name,
      head_sha: run.headSha,
      name: job.name,
      status: job.status,
      conclusion: job.conclusion,
      html_url: `${this.runHtmlUrl(run)}/job/${job.id}`,
      started_at: job.startedAt,
      completed_at: job.completedAt,
      steps: job.steps.map((step) => ({ ...step })),
      labels: ['ubuntu-latest'],
    };
  }

  /** The whole `workflow_job` webhook body for `job` with `action`. */
  jobEvent(job: FakeJob, action = job.status as string): Record<string, unknown> {
    const run = this.runs.get(job.runId)!;
    return {
      action,
      workflow_job: this.jobPayload(job),
      repository: {
        full_name: `${run.owner}/${run.repo}`,
        name: run.repo,
        owner: { login: run.owner },
      },
    };
  }

  /** The statuses posted to GitHub's deployments of one environment, in order. */
  deploymentsTo(owner: string, repo: string, environment: string): FakeDeployment[] {
    return this.deployments.filter(
      (d) =>
        d.owner.toLowerCase() === owner.toLowerCase() &&
        d.repo.toLowerCase() === repo.toLowerCase() &&
        d.environment === environment,
    );
  }

  // ---------------------------------------------------------------- the commit graph

  newCommit(
    repo: FakeRepo,
    message: string,
    login: string | null,
    authorName: string | undefined,
    parents: string[],
    date = new Date(),
  ): string {
    const order = this.commitCount++;
    const sha = createHash('sha1')
      .update(`${repo.owner}/${repo.name}/${order}/${message}/${Math.random()}`)
      .digest('hex');
    repo.commits.set(sha, {
      sha,
      message,
      login,
      authorName: authorName ?? login ?? 'Someone',
      parents,
      order,
      date: date.toISOString(),
    });
    if (repo.ci)
      repo.checkRuns.set(sha, [
        {
          id: this.nextCheckId++,
          name: 'ci',
          status: 'completed',
          conclusion: 'success',
          app: 'github-actions',
        },
      ]);
    return sha;
  }

  /** Every commit reachable from `sha`, itself included. */
  ancestors(repo: FakeRepo, sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(repo.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  /**
   * What `GET /repos/{owner}/{repo}/commits/{ref}` accepts: a SHA (or a prefix of 7 or more), a
   * branch, a tag, or a fully qualified ref, pull request refs included.
   */
  resolve(repo: FakeRepo, ref: string): string | undefined {
    const pull = /^(?:refs\/)?pull\/(\d+)\/head$/.exec(ref);
    if (pull) return repo.pulls.get(Number(pull[1]));
    const named = ref.replace(/^refs\//, '');
    if (named.startsWith('heads/')) return repo.branches.get(named.slice(6));
    if (named.startsWith('tags/')) return repo.tags.get(named.slice(5));
    const byName = repo.branches.get(ref) ?? repo.tags.get(ref);
    if (byName) return byName;
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      const matches = [...repo.commits.keys()].filter((sha) => sha.startsWith(ref));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  commitPayload(repo: FakeRepo, commit: FakeCommit) {
    return {
      sha: commit.sha,
      html_url: `https://github.example/${repo.owner}/${repo.name}/commit/${commit.sha}`,
      commit: {
        message: commit.message,
        // Git's own dates, as given (GitHub does not check them: a commit may claim any date).
        // https://docs.github.com/en/rest/commits/commits#get-a-commit
        author: { name: commit.authorName, date: commit.date },
        committer: { name: commit.authorName, date: commit.date },
      },
      author: commit.login ? { login: commit.login } : null,
      parents: commit.parents.map((sha) => ({ sha })),
    };
  }

  repo(owner: string, name: string): FakeRepo {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new Error(`fake GitHub has no repo ${owner}/${name}`);
    return repo;
  }

  runHtmlUrl(run: FakeRun): string {
    return `https://github.example/${run.owner}/${run.repo}/actions/runs/${run.id}`;
  }

  deploymentPayload(d: FakeDeployment): Record<string, unknown> {
    return {
      id: d.id,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      environment: d.environment,
      description: d.description,
      payload: d.payload,
      production_environment: d.productionEnvironment,
      transient_environment: d.transientEnvironment,
      ...(d.creator ? { creator: accountOf(d.creator) } : {}),
      created_at: new Date().toISOString(),
    };
  }

  workflow(owner: string, name: string, workflow: string): FakeWorkflow {
    const found = this.repo(owner, name).workflows.find(
      (w) => String(w.id) === workflow || w.path.endsWith(`/${workflow}`),
    );
    if (!found) throw new Error('Not Found');
    return found;
  }
}

/** A run's title: the workflow's `run-name` with its `${{ inputs.x }}` expressions filled in. */
export function renderRunName(workflow: FakeWorkflow, inputs: Record<string, string>): string {
  if (!workflow.runName) return workflow.name;
  return workflow.runName.replace(
    /\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (_, input: string) => inputs[input] ?? '',
  );
}
