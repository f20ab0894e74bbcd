import { createHash, createHmac, KeyObject, randomBytes, verify } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeCommit {
  sha: string;
  message: string;
  /** The GitHub account the commit is linked to; null when GitHub could not link it. */
  login: string | null;
  /** The name in the commit itself (free text: anyone can write anything there). */
  authorName: string;
  parents: string[];
  /** Insertion order: commits are listed oldest first, as GitHub's compare does. */
  order: number;
}

export interface FakeRun {
  id: number;
  owner: string;
  repo: string;
  workflowId: number;
  workflowPath: string;
  name: string;
  displayTitle: string;
  headBranch: string;
  headSha: string;
  event: string;
  status: 'requested' | 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
  runNumber: number;
  inputs: Record<string, string>;
}

export interface FakeDispatch {
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  returnRunDetails: boolean;
  runId?: number;
}

export interface GithubCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  /** The route template, as Octokit names it (`/repos/{owner}/{repo}/actions/runs/{run_id}`). */
  route: string;
  /** When the request arrived (Date.now()). */
  at: number;
}

export interface FakeWorkflow {
  id: number;
  path: string;
  name: string;
  /** Declared `workflow_dispatch` inputs; undefined accepts any input. */
  inputs?: string[];
  /** The workflow's `run-name`, with `${{ inputs.x }}` expressions rendered per run. */
  runName?: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  commits: Map<string, FakeCommit>;
  branches: Map<string, string>;
  tags: Map<string, string>;
  /** `refs/pull/N/head`: what a pull request (from a fork, say) points at. */
  pulls: Map<number, string>;
  workflows: FakeWorkflow[];
  /** Check runs by commit, newest last. */
  checkRuns: Map<string, FakeCheckRun[]>;
  /** Commit statuses by commit, newest last. */
  statuses: Map<string, FakeCommitStatus[]>;
  /**
   * CI that runs on every push and passes: each new commit gets a completed, successful `ci`
   * check run from GitHub Actions (a repository without it has no checks but the test's own).
   */
  ci: boolean;
}

/** https://docs.github.com/en/rest/commits/statuses: each one posted is kept, with its creator. */
export interface FakeCommitStatus {
  context: string;
  state: string;
  targetUrl?: string;
  id: number;
  /** The login that posted it (an App posts as `<slug>[bot]`). */
  creator: string;
  createdAt: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  /** The slug of the GitHub App that created it (https://docs.github.com/en/rest/checks/runs). */
  app: string;
}

/** A deployment on GitHub (https://docs.github.com/en/rest/deployments/deployments). */
export interface FakeDeployment {
  id: number;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string;
  payload: Record<string, unknown>;
  autoMerge: boolean;
  requiredContexts?: string[];
  productionEnvironment: boolean;
  transientEnvironment: boolean;
  statuses: FakeDeploymentStatus[];
}

/** https://docs.github.com/en/rest/deployments/statuses */
export interface FakeDeploymentStatus {
  id: number;
  state: string;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
  /** Added by GitHub itself (auto_inactive), not posted. */
  automatic?: boolean;
}

/** A job of a run (https://docs.github.com/en/rest/actions/workflow-jobs). */
export interface FakeJob {
  id: number;
  runId: number;
  name: string;
  status: 'queued' | 'waiting' | 'in_progress' | 'completed';
  conclusion: string | null;
  steps: Array<{ number: number; name: string; status: string; conclusion: string | null }>;
  startedAt: string;
  completedAt: string | null;
}

/**
 * How workflow dispatch answers: `details` (github.com: 200 with the run id), `no-content`
 * (GHES ≤ 3.20: 204, the run has to be found by listing), `reject-return-run-details` (422 when
 * the parameter is sent, 204 without it).
 */
export type DispatchMode = 'details' | 'no-content' | 'reject-return-run-details';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** A GitHub App as the fake knows it: its id, its public key, and where it is installed. */
export interface FakeApp {
  appId: number;
  publicKey: KeyObject;
  /** Per owner (lowercase): the installation's id, and the permissions granted to it. */
  installations: Map<string, { id: number; permissions: Record<string, 'read' | 'write'> }>;
  /** How long an installation token lives (GitHub: one hour). */
  tokenTtlMs: number;
}

interface InstallationToken {
  installationId: number;
  owner: string;
  expiresAt: number;
  permissions: Record<string, 'read' | 'write'>;
}

/** Every permission the bot's App asks for (see the README's permissions table). */
export const APP_PERMISSIONS: Record<string, 'read' | 'write'> = {
  actions: 'write',
  contents: 'read',
  deployments: 'write',
  checks: 'read',
  statuses: 'read',
  metadata: 'read',
};

/**
 * A loopback GitHub REST API with the routes the bot uses, shaped as GitHub documents them
 * (https://docs.github.com/en/rest): repositories with a real commit graph (branches, tags and
 * pull request refs), compare by ancestry, workflow dispatch and runs with ETags.
 */
export class FakeGithub {
  readonly calls: GithubCall[] = [];
  readonly dispatches: FakeDispatch[] = [];
  readonly runs = new Map<number, FakeRun>();
  dispatchMode: DispatchMode = 'details';
  /** When false, a dispatch creates no run (GitHub has not started one). */
  createRunsOnDispatch = true;
  private readonly repos = new Map<string, FakeRepo>();
  private readonly failures: Array<{
    pattern: RegExp;
    status: number;
    message: string;
    times: number;
    headers: Record<string, string>;
    /** The request is carried out first, then answered with the failure (a lost answer). */
    afterDoing?: boolean;
    /** Instead of an answer: none at all (`hang`) or the connection dropped (`reset`). */
    silence?: 'hang' | 'reset';
  }> = [];
  /** Installation tokens handed out, by token (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app). */
  readonly installationTokens = new Map<string, InstallationToken>();
  /** Deployments recorded through the Deployments API, oldest first. */
  readonly deployments: FakeDeployment[] = [];
  readonly jobs = new Map<number, FakeJob>();
  private nextDeploymentId = 700_001;
  private nextJobId = 30_000_001;
  private app?: FakeApp;
  private nextRunId = 9_000_001;
  private nextCheckId = 5_000_001;
  private nextWorkflowId = 100;
  private commitCount = 0;
  private port = 0;

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start(token = 'fake-github-token'): Promise<FakeGithub> {
    const server = createServer();
    const fake = new FakeGithub(server, token);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  // ---------------------------------------------------------------- driver

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
  addCommit(
    owner: string,
    name: string,
    branch: string,
    message: string,
    author: string | null = 'octocat',
    { from, authorName }: { from?: string; authorName?: string } = {},
  ): string {
    const repo = this.repo(owner, name);
    const parent = repo.branches.get(branch) ?? from ?? repo.branches.get(repo.defaultBranch);
    const sha = this.newCommit(repo, message, author, authorName, parent ? [parent] : []);
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

  /** The next `times` requests whose path matches fail with `status`. */
  failNext(
    pattern: RegExp,
    status: number,
    message = 'fake failure',
    times = 1,
    headers: Record<string, string> = {},
  ): void {
    this.failures.push({ pattern, status, message, times, headers });
  }

  /**
   * The next request matching `pattern` is carried out, but answered with `status`: the answer
   * is lost on the way (a proxy's 502 after GitHub did the work).
   */
  loseNextAnswer(pattern: RegExp, status = 502): void {
    this.failures.push({
      pattern,
      status,
      message: 'Bad Gateway',
      times: 1,
      headers: {},
      afterDoing: true,
    });
  }

  /**
   * The next request matching `pattern` is carried out, then never answered (`hang`: the client
   * gives up) or its connection is dropped (`reset`): GitHub did it, the client cannot know.
   * With `before`, nothing is done: the request dies on the way in.
   */
  silenceNext(pattern: RegExp, silence: 'hang' | 'reset', { before = false } = {}): void {
    this.failures.push({
      pattern,
      status: 0,
      message: '',
      times: 1,
      headers: {},
      afterDoing: !before,
      silence,
    });
  }

  /** The next request matching `pattern` hits an exhausted primary rate limit for `resetInS`. */
  rateLimitNext(pattern: RegExp, resetInS = 600): void {
    this.failNext(pattern, 403, 'API rate limit exceeded', 1, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInS),
    });
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

  /** Creates a run as if someone else had dispatched the workflow (a decoy for run matching). */
  createRun(
    owner: string,
    repo: string,
    workflowId: number,
    branch: string,
    sha: string,
    inputs: Record<string, string> = {},
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
      event: 'workflow_dispatch',
      status: 'queued',
      conclusion: null,
      createdAt: now,
      updatedAt: now,
      runNumber: this.runs.size + 1,
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
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      html_url: this.runHtmlUrl(run),
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      run_started_at: run.createdAt,
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
      run_attempt: 1,
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

  /** Requests that count against the rate limit (every answer but 304). */
  rateLimitedCalls(): GithubCall[] {
    return this.calls.filter((call) => call.status !== 304);
  }

  // ---------------------------------------------------------------- the commit graph

  private newCommit(
    repo: FakeRepo,
    message: string,
    login: string | null,
    authorName: string | undefined,
    parents: string[],
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
  private ancestors(repo: FakeRepo, sha: string): Set<string> {
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
  private resolve(repo: FakeRepo, ref: string): string | undefined {
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

  private commitPayload(repo: FakeRepo, commit: FakeCommit) {
    return {
      sha: commit.sha,
      html_url: `https://github.example/${repo.owner}/${repo.name}/commit/${commit.sha}`,
      commit: {
        message: commit.message,
        author: { name: commit.authorName, date: new Date().toISOString() },
      },
      author: commit.login ? { login: commit.login } : null,
      parents: commit.parents.map((sha) => ({ sha })),
    };
  }

  // ---------------------------------------------------------------- HTTP

  private repo(owner: string, name: string): FakeRepo {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new Error(`fake GitHub has no repo ${owner}/${name}`);
    return repo;
  }

  private runHtmlUrl(run: FakeRun): string {
    return `https://github.example/${run.owner}/${run.repo}/actions/runs/${run.id}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const call: GithubCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      body,
      status: 0,
      route: '',
      at: Date.now(),
    };
    this.calls.push(call);
    const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...(payload === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const denied = this.authorize(req.headers.authorization ?? '', call);
    if (denied) return reply(...denied);
    const failure = this.failures.find((f) => f.times > 0 && f.pattern.test(call.path));
    if (failure) {
      failure.times--;
      if (failure.afterDoing) {
        try {
          this.route(call, req.headers['if-none-match']);
        } catch {
          // The failure is the answer either way.
        }
      }
      if (failure.silence === 'reset') {
        call.status = -1;
        return void req.socket.destroy();
      }
      // Held open until the client gives up (or the fake closes).
      if (failure.silence === 'hang') return void (call.status = -2);
      return reply(failure.status, { message: failure.message }, failure.headers);
    }
    try {
      const [status, payload, headers] = this.route(call, req.headers['if-none-match']);
      reply(status, payload, headers);
    } catch (error) {
      reply(404, { message: (error as Error).message });
    }
  }

  /**
   * Who may call what, as GitHub decides it: the personal token anywhere; a GitHub App's JWT
   * (RS256, `iss` = the App id, expiring within 10 minutes) only on the App's own routes; an
   * installation token on the repositories of its owner, within its permissions
   * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app).
   * Returns the refusal, or undefined when the request may go on.
   */
  private authorize(header: string, call: GithubCall): [number, unknown] | undefined {
    const badCredentials: [number, unknown] = [
      401,
      { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
    ];
    const [scheme, credential = ''] = header.split(' ');
    if (credential === this.token && /^(token|bearer)$/i.test(scheme)) return undefined;
    const appRoute =
      /^\/app\/installations\/\d+\/access_tokens$/.test(call.path) ||
      /^\/repos\/[^/]+\/[^/]+\/installation$/.test(call.path) ||
      call.path === '/app';
    if (/^bearer$/i.test(scheme) && this.app && appRoute) {
      return this.validJwt(credential) ? undefined : badCredentials;
    }
    const token = this.installationTokens.get(credential);
    if (!/^token$/i.test(scheme) || !token || token.expiresAt <= Date.now() || appRoute)
      return badCredentials;
    const repo = /^\/repos\/([^/]+)\/([^/]+)/.exec(call.path);
    // An installation sees its owner's repositories only.
    if (!repo || repo[1].toLowerCase() !== token.owner) return [404, { message: 'Not Found' }];
    const needed = permissionFor(call.method, call.path);
    const granted = token.permissions[needed.name];
    if (!granted || (needed.level === 'write' && granted !== 'write')) {
      return [
        403,
        {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest',
        },
      ];
    }
    return undefined;
  }

  /** An RS256 JWT signed with the App's key, issued by the App, not expired, ≤ 10 minutes long. */
  private validJwt(jwt: string): boolean {
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return false;
    try {
      const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const signed = verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        this.app!.publicKey,
        Buffer.from(signature, 'base64url'),
      );
      const now = Math.floor(Date.now() / 1000);
      return (
        alg === 'RS256' &&
        signed &&
        String(claims.iss) === String(this.app!.appId) &&
        claims.exp > now &&
        claims.exp <= now + 600 &&
        claims.iat <= now + 60
      );
    } catch {
      return false;
    }
  }

  private route(
    call: GithubCall,
    ifNoneMatch?: string,
  ): [number, unknown?, Record<string, string>?] {
    const { method, path, query, body } = call;
    let m: RegExpMatchArray | null;
    // https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/installation$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/installation';
      const installation = this.app?.installations.get(m[1].toLowerCase());
      if (!installation || !this.repos.has(`${m[1]}/${m[2]}`.toLowerCase()))
        return [404, { message: 'Not Found' }];
      return [
        200,
        {
          id: installation.id,
          app_id: this.app!.appId,
          account: { login: m[1] },
          permissions: installation.permissions,
        },
      ];
    }
    // https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
    if ((m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/)) && method === 'POST') {
      call.route = '/app/installations/{installation_id}/access_tokens';
      const found = [...(this.app?.installations.entries() ?? [])].find(
        ([, installation]) => installation.id === Number(m![1]),
      );
      if (!found) return [404, { message: 'Not Found' }];
      const [owner, installation] = found;
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      const expiresAt = Date.now() + this.app!.tokenTtlMs;
      this.installationTokens.set(token, {
        installationId: installation.id,
        owner,
        expiresAt,
        permissions: installation.permissions,
      });
      return [
        201,
        {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: installation.permissions,
          repository_selection: 'all',
        },
      ];
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}';
      const repo = this.repo(m[1], m[2]);
      return [
        200,
        {
          id: 1,
          name: repo.name,
          full_name: `${repo.owner}/${repo.name}`,
          default_branch: repo.defaultBranch,
          owner: { login: repo.owner },
        },
      ];
    }
    // https://docs.github.com/en/rest/branches/branches#get-a-branch
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/branches/{branch}';
      const repo = this.repo(m[1], m[2]);
      const sha = repo.branches.get(m[3]);
      if (!sha) return [404, { message: 'Branch not found' }];
      return [200, { name: m[3], commit: { sha }, protected: m[3] === repo.defaultBranch }];
    }
    // https://docs.github.com/en/rest/branches/branches#list-branches
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/branches$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/branches';
      const repo = this.repo(m[1], m[2]);
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      const all = [...repo.branches.entries()].sort(([a], [b]) => a.localeCompare(b));
      return [
        200,
        all
          .slice((page - 1) * perPage, page * perPage)
          .map(([name, sha]) => ({ name, commit: { sha }, protected: false })),
      ];
    }
    // https://docs.github.com/en/rest/git/refs#get-a-reference
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/(heads|tags)\/(.+)$/))) {
      call.route = '/repos/{owner}/{repo}/git/ref/{ref}';
      const repo = this.repo(m[1], m[2]);
      const sha = (m[3] === 'heads' ? repo.branches : repo.tags).get(m[4]);
      if (!sha) return [404, { message: 'Not Found' }];
      return [200, { ref: `refs/${m[3]}/${m[4]}`, object: { sha, type: 'commit' } }];
    }
    // https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-runs$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/commits/{ref}/check-runs';
      const repo = this.repo(m[1], m[2]);
      const sha = this.resolve(repo, m[3]);
      if (!sha) return [422, { message: `No commit found for SHA: ${m[3]}` }];
      const all = repo.checkRuns.get(sha) ?? [];
      // filter=latest (the default): the most recent run of each name.
      const runs =
        query.get('filter') === 'all'
          ? all
          : all.filter((run) => !all.some((other) => other.name === run.name && other.id > run.id));
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      const listed = [...runs].reverse().slice((page - 1) * perPage, page * perPage);
      return conditional(
        {
          total_count: runs.length,
          check_runs: listed.map((run) => ({
            id: run.id,
            name: run.name,
            head_sha: sha,
            status: run.status,
            conclusion: run.conclusion,
            html_url: `https://github.example/${repo.owner}/${repo.name}/runs/${run.id}`,
            app: { id: run.app.length, slug: run.app, name: run.app },
          })),
        },
        ifNoneMatch,
      );
    }
    // https://docs.github.com/en/rest/commits/statuses#list-commit-statuses-for-a-reference:
    // every status, newest first, each with its creator; conditional like every GET.
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/statuses$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/commits/{ref}/statuses';
      const repo = this.repo(m[1], m[2]);
      const sha = this.resolve(repo, m[3]);
      if (!sha) return [404, { message: `No commit found for SHA: ${m[3]}` }];
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const listed = [...(repo.statuses.get(sha) ?? [])]
        .reverse()
        .slice((page - 1) * perPage, page * perPage);
      return conditional(
        listed.map((status) => ({
          id: status.id,
          state: status.state,
          context: status.context,
          description: null,
          target_url: status.targetUrl ?? null,
          created_at: status.createdAt,
          updated_at: status.createdAt,
          creator: { login: status.creator, id: status.creator.length, type: 'User' },
        })),
        ifNoneMatch,
      );
    }
    // https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/commits/{ref}/status';
      const repo = this.repo(m[1], m[2]);
      const sha = this.resolve(repo, m[3]);
      if (!sha) return [404, { message: `No commit found for SHA: ${m[3]}` }];
      const latest = new Map<string, { context: string; state: string; targetUrl?: string }>();
      for (const status of repo.statuses.get(sha) ?? []) latest.set(status.context, status);
      const statuses = [...latest.values()];
      const state = statuses.some((x) => x.state === 'failure' || x.state === 'error')
        ? 'failure'
        : statuses.some((x) => x.state === 'pending') || statuses.length === 0
          ? 'pending'
          : 'success';
      return [
        200,
        {
          state,
          sha,
          total_count: statuses.length,
          statuses: statuses.map((status) => ({
            context: status.context,
            state: status.state,
            target_url: status.targetUrl ?? null,
          })),
        },
      ];
    }
    // https://docs.github.com/en/rest/commits/commits#get-a-commit
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/commits/{ref}';
      const repo = this.repo(m[1], m[2]);
      const sha = this.resolve(repo, m[3]);
      const commit = sha ? repo.commits.get(sha) : undefined;
      if (!commit) return [422, { message: `No commit found for SHA: ${m[3]}` }];
      return [200, this.commitPayload(repo, commit)];
    }
    // https://docs.github.com/en/rest/commits/commits#compare-two-commits
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+?)\.\.\.(.+)$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/compare/{basehead}';
      const repo = this.repo(m[1], m[2]);
      const base = this.resolve(repo, m[3]);
      const head = this.resolve(repo, m[4]);
      if (!base || !head) return [404, { message: 'Not Found' }];
      const fromBase = this.ancestors(repo, base);
      const fromHead = this.ancestors(repo, head);
      const byOrder = (shas: string[]) =>
        shas.map((sha) => repo.commits.get(sha)!).sort((a, b) => a.order - b.order);
      const ahead = byOrder([...fromHead].filter((sha) => !fromBase.has(sha)));
      const behind = [...fromBase].filter((sha) => !fromHead.has(sha));
      const status =
        base === head
          ? 'identical'
          : behind.length === 0
            ? 'ahead'
            : ahead.length === 0
              ? 'behind'
              : 'diverged';
      return [
        200,
        {
          status,
          ahead_by: ahead.length,
          behind_by: behind.length,
          total_commits: ahead.length,
          html_url: `https://github.example/${repo.owner}/${repo.name}/compare/${m[3]}...${m[4]}`,
          commits: ahead.slice(0, 250).map((c) => this.commitPayload(repo, c)),
        },
      ];
    }
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/actions/workflows/{workflow_id}';
      const workflow = this.workflow(m[1], m[2], m[3]);
      return [200, { id: workflow.id, name: workflow.name, path: workflow.path, state: 'active' }];
    }
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches$/)) &&
      method === 'POST'
    ) {
      call.route = '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
      return this.dispatch(
        m[1],
        m[2],
        m[3],
        body as { ref: string; inputs?: Record<string, string>; return_run_details?: boolean },
      );
    }
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/runs$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs';
      const workflow = this.workflow(m[1], m[2], m[3]);
      // https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow:
      // newest first, `per_page` at most 100 (default 30), `status` a status or a conclusion,
      // `created` a date range; the answer carries an ETag, and a matching If-None-Match gets 304.
      const createdFloor = query.get('created')?.replace(/^>=/, '');
      const status = query.get('status');
      const runs = [...this.runs.values()]
        .filter((run) => run.workflowId === workflow.id)
        .filter((run) => !query.get('event') || run.event === query.get('event'))
        .filter((run) => !query.get('branch') || run.headBranch === query.get('branch'))
        .filter((run) => !status || run.status === status || run.conclusion === status)
        .filter((run) => !createdFloor || Date.parse(run.createdAt) >= Date.parse(createdFloor))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const payload = {
        total_count: runs.length,
        workflow_runs: runs
          .slice((page - 1) * perPage, page * perPage)
          .map((run) => this.runPayload(run)),
      };
      return conditional(payload, ifNoneMatch);
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/actions/runs/{run_id}';
      const run = this.runs.get(Number(m[3]));
      if (!run) return [404, { message: 'Not Found' }];
      const payload = this.runPayload(run);
      return conditional(payload, ifNoneMatch);
    }
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/cancel$/)) &&
      method === 'POST'
    ) {
      call.route = '/repos/{owner}/{repo}/actions/runs/{run_id}/cancel';
      const run = this.runs.get(Number(m[3]));
      if (!run) return [404, { message: 'Not Found' }];
      if (run.status === 'completed')
        return [409, { message: 'Cannot cancel a workflow run that is completed.' }];
      this.setRunStatus(run.id, 'completed', 'cancelled');
      return [202, {}];
    }
    // https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/deployments$/)) && method === 'POST') {
      call.route = '/repos/{owner}/{repo}/deployments';
      return this.createDeployment(m[1], m[2], body as Record<string, unknown>);
    }
    // https://docs.github.com/en/rest/deployments/deployments#list-deployments
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/deployments$/)) && method === 'GET') {
      call.route = '/repos/{owner}/{repo}/deployments';
      this.repo(m[1], m[2]);
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const found = this.deployments
        .filter(
          (d) =>
            d.owner.toLowerCase() === m![1].toLowerCase() &&
            d.repo.toLowerCase() === m![2].toLowerCase(),
        )
        .filter((d) => !query.get('environment') || d.environment === query.get('environment'))
        .filter((d) => !query.get('sha') || d.sha === query.get('sha'))
        .filter((d) => !query.get('task') || d.task === query.get('task'))
        .reverse()
        .slice(0, perPage);
      return [200, found.map((d) => this.deploymentPayload(d))];
    }
    // https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/)) &&
      method === 'POST'
    ) {
      call.route = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
      return this.createDeploymentStatus(m[1], m[2], Number(m[3]), body as Record<string, unknown>);
    }
    // https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run
    if (
      (m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/jobs$/)) &&
      method === 'GET'
    ) {
      call.route = '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs';
      const run = this.runs.get(Number(m[3]));
      if (!run) return [404, { message: 'Not Found' }];
      const jobs = [...this.jobs.values()].filter((job) => job.runId === run.id);
      return [200, { total_count: jobs.length, jobs: jobs.map((job) => this.jobPayload(job)) }];
    }
    return [404, { message: `fake GitHub has no route ${method} ${path}` }];
  }

  /**
   * https://docs.github.com/en/rest/deployments/deployments#create-a-deployment: `ref` is a
   * branch, tag or SHA (422 when unknown). `required_contexts` left out means every commit
   * status must be success (409 otherwise); `auto_merge` defaults to true (merging the default
   * branch in is not simulated: such a request is refused with 409, as a merge conflict is).
   */
  private createDeployment(
    owner: string,
    name: string,
    body: Record<string, unknown>,
  ): [number, unknown?] {
    const repo = this.repo(owner, name);
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
      id: this.nextDeploymentId++,
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
    this.deployments.push(deployment);
    return [201, this.deploymentPayload(deployment)];
  }

  /**
   * https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status: a success
   * with `auto_inactive` (default true) adds an inactive status to the prior non-transient,
   * non-production deployments of that environment whose latest state is success.
   */
  private createDeploymentStatus(
    owner: string,
    name: string,
    id: number,
    body: Record<string, unknown>,
  ): [number, unknown?] {
    this.repo(owner, name);
    const deployment = this.deployments.find(
      (d) => d.id === id && d.owner.toLowerCase() === owner.toLowerCase(),
    );
    if (!deployment) return [404, { message: 'Not Found' }];
    const state = String(body.state ?? '');
    const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
    const description = String(body.description ?? '');
    if (!states.includes(state) || description.length > 140)
      return [422, { message: 'Validation Failed' }];
    const status: FakeDeploymentStatus = {
      id: this.nextDeploymentId++,
      state,
      description,
      ...(body.log_url ? { logUrl: String(body.log_url) } : {}),
      ...(body.environment_url ? { environmentUrl: String(body.environment_url) } : {}),
    };
    if (state === 'success' && body.auto_inactive !== false) {
      for (const prior of this.deploymentsTo(owner, name, deployment.environment)) {
        if (
          prior.id < id &&
          !prior.productionEnvironment &&
          !prior.transientEnvironment &&
          prior.statuses.at(-1)?.state === 'success'
        )
          prior.statuses.push({
            id: this.nextDeploymentId++,
            state: 'inactive',
            description: '',
            automatic: true,
          });
      }
    }
    deployment.statuses.push(status);
    return [201, { id: status.id, state, description, environment: deployment.environment }];
  }

  private deploymentPayload(d: FakeDeployment): Record<string, unknown> {
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
      created_at: new Date().toISOString(),
    };
  }

  private workflow(owner: string, name: string, workflow: string): FakeWorkflow {
    const found = this.repo(owner, name).workflows.find(
      (w) => String(w.id) === workflow || w.path.endsWith(`/${workflow}`),
    );
    if (!found) throw new Error('Not Found');
    return found;
  }

  /** https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event */
  private dispatch(
    owner: string,
    name: string,
    workflowName: string,
    body: { ref: string; inputs?: Record<string, string>; return_run_details?: boolean },
  ): [number, unknown?] {
    const repo = this.repo(owner, name);
    const workflow = this.workflow(owner, name, workflowName);
    if (
      this.dispatchMode === 'reject-return-run-details' &&
      body.return_run_details !== undefined
    ) {
      return [422, { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' }];
    }
    // The ref is a branch or a tag (by name or fully qualified), never a SHA.
    const qualified = /^refs\/(heads|tags)\/(.+)$/.exec(body.ref);
    const refName = qualified ? qualified[2] : body.ref;
    const sha = qualified
      ? (qualified[1] === 'heads' ? repo.branches : repo.tags).get(refName)
      : (repo.branches.get(refName) ?? repo.tags.get(refName));
    if (!sha || FULL_SHA.test(body.ref)) return [422, { message: `No ref found for: ${body.ref}` }];
    const inputs = body.inputs ?? {};
    // GitHub refuses inputs the workflow does not declare.
    const unexpected = workflow.inputs
      ? Object.keys(inputs).filter((input) => !workflow.inputs!.includes(input))
      : [];
    if (unexpected.length)
      return [422, { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` }];
    const dispatch: FakeDispatch = {
      owner,
      repo: repo.name,
      workflow: workflowName,
      ref: body.ref,
      inputs,
      returnRunDetails: Boolean(body.return_run_details),
    };
    this.dispatches.push(dispatch);
    if (this.createRunsOnDispatch) {
      dispatch.runId = this.createRun(owner, repo.name, workflow.id, refName, sha, inputs).id;
    }
    if (this.dispatchMode === 'details' && body.return_run_details && dispatch.runId) {
      const run = this.runs.get(dispatch.runId)!;
      return [
        200,
        {
          workflow_run_id: run.id,
          run_url: `${this.apiUrl}/repos/${owner}/${name}/actions/runs/${run.id}`,
          html_url: this.runHtmlUrl(run),
        },
      ];
    }
    return [204];
  }
}

/**
 * The permission a route needs (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
 */
function permissionFor(method: string, path: string): { name: string; level: 'read' | 'write' } {
  const level = method === 'GET' ? 'read' : 'write';
  if (/\/actions\//.test(path)) return { name: 'actions', level };
  if (/\/check-runs|\/check-suites/.test(path)) return { name: 'checks', level };
  if (/\/deployments/.test(path)) return { name: 'deployments', level };
  if (/\/statuses\/|\/status$/.test(path)) return { name: 'statuses', level };
  if (/^\/repos\/[^/]+\/[^/]+$/.test(path)) return { name: 'metadata', level };
  return { name: 'contents', level };
}

/** A run's title: the workflow's `run-name` with its `${{ inputs.x }}` expressions filled in. */
function renderRunName(workflow: FakeWorkflow, inputs: Record<string, string>): string {
  if (!workflow.runName) return workflow.name;
  return workflow.runName.replace(
    /\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (_, input: string) => inputs[input] ?? '',
  );
}

/** Sends a `workflow_run` webhook to the app the way GitHub does: signed over the exact bytes. */
/**
 * A GET answer with a weak ETag of its body, or 304 when the request's If-None-Match is that
 * ETag, as GitHub answers conditional requests.
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
 */
function conditional(
  payload: unknown,
  ifNoneMatch: string | undefined,
): [number, unknown, Record<string, string>] {
  const etag = `W/"${createHash('sha1').update(JSON.stringify(payload)).digest('hex')}"`;
  return ifNoneMatch === etag ? [304, undefined, { etag }] : [200, payload, { etag }];
}

export async function sendWebhook(
  baseUrl: string,
  secret: string | undefined,
  event: string,
  payload: unknown,
  {
    deliveryId = crypto.randomUUID(),
    signature,
    rawBody,
  }: { deliveryId?: string; signature?: string; rawBody?: string } = {},
): Promise<{ status: number; body: string }> {
  const bytes = rawBody ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'user-agent': 'GitHub-Hookshot/fake',
  };
  const computed = secret
    ? `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`
    : undefined;
  const chosen = signature ?? computed;
  if (chosen) headers['x-hub-signature-256'] = chosen;
  const response = await fetch(`${baseUrl}/webhook/github`, {
    method: 'POST',
    headers,
    body: bytes,
  });
  return { status: response.status, body: await response.text() };
}
