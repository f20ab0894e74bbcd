import { protectionRuleEvent, protectionRulePayload } from './environment-payloads';
import {
  Caller,
  FakeDelivery,
  FakeDeployment,
  FakeEnvironment,
  FakeRun,
  PendingReview,
  ProtectionAnswer,
} from './model';
import { GithubState } from './state';
import { WebhookDeliveries } from './webhooks';

/** How a run started outside the bot is started (see startRun). */
export interface OutsideRun {
  workflow?: string;
  /** `push`, `workflow_dispatch` (the UI's "Run workflow" button), `repository_dispatch`, … */
  event: string;
  /** The branch (default: the repository's default branch) and commit (default: its head). */
  branch?: string;
  sha?: string;
  /** The login of whoever started it. */
  actor: string;
  inputs?: Record<string, string>;
  /** An environment its jobs reference (made on the fly when the repository has none of that name). */
  environment?: string;
  /** How many of its jobs reference the environment (default 1). */
  jobs?: number;
}

/**
 * GitHub's environments and the custom deployment protection rule the fake's App provides: a
 * run whose jobs reference such an environment waits, GitHub asks the App by webhook, and the
 * App answers through the REST API
 * (https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/creating-custom-deployment-protection-rules).
 * Runs started outside the bot (a push, the UI, a re-run) and the fake's own webhook deliveries
 * live here too. Jobs and deployments are modelled for environments with the rule only.
 */
export abstract class GithubEnvironments extends GithubState {
  /** By `owner/repo/name`, lowercase (GitHub's environment names ignore case). */
  readonly environments = new Map<string, FakeEnvironment>();
  readonly webhooks = new WebhookDeliveries();
  /** Jobs waiting on a custom rule, by `runId:environment` (see reviewKey). */
  readonly pendingReviews = new Map<string, PendingReview>();
  /** Every answer the App gave through the review route, oldest first. */
  readonly protectionAnswers: ProtectionAnswer[] = [];
  /** The environments each run's jobs reference, so that a re-run waits again. */
  private readonly runEnvironments = new Map<
    number,
    Array<{ environment: string; jobs: number }>
  >();
  nextRuleId = 80_001;

  abstract get apiUrl(): string;

  /** Every delivery sent (or attempted), oldest first. */
  get deliveries(): FakeDelivery[] {
    return this.webhooks.sent;
  }

  /**
   * Adds an environment to a repository; with `customRule`, the fake's App (which must be
   * enabled and installed on `owner`) is enabled on it as a custom deployment protection rule
   * (https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/configuring-custom-deployment-protection-rules).
   */
  addEnvironment(
    owner: string,
    repo: string,
    environment: string,
    { customRule = false }: { customRule?: boolean } = {},
  ): FakeEnvironment {
    const known = this.repo(owner, repo);
    if (customRule && !this.app)
      throw new Error('a custom rule needs an App: call enableApp first');
    if (customRule && !this.app!.installations.has(owner.toLowerCase()))
      throw new Error(`the App is not installed on ${owner}`);
    const created: FakeEnvironment = {
      owner: known.owner,
      repo: known.name,
      name: environment,
      ...(customRule ? { customRuleId: this.nextRuleId++ } : {}),
    };
    this.environments.set(`${owner}/${repo}/${environment}`.toLowerCase(), created);
    return created;
  }

  /**
   * An environment of the repository: one added, or one GitHub made when a deployment named it
   * (https://docs.github.com/en/rest/deployments/deployments#create-a-deployment).
   */
  environmentOf(owner: string, repo: string, name: string): FakeEnvironment | undefined {
    const added = this.environments.get(`${owner}/${repo}/${name}`.toLowerCase());
    if (added) return added;
    const deployed = this.deploymentsTo(owner, repo, name).length > 0;
    return deployed ? { owner, repo, name } : undefined;
  }

  /** From now on the fake delivers its webhooks to `url` + `/webhook/github`, signed with `secret`. */
  deliverWebhooksTo(url: string, secret: string): void {
    this.webhooks.to(url, secret);
  }

  /** Resolves once every delivery sent so far has been answered. */
  deliveriesSettled(): Promise<void> {
    return this.webhooks.settled();
  }

  /** A run that completes (cancelled, say) has nothing waiting any more. */
  override setRunStatus(
    runId: number,
    status: FakeRun['status'],
    conclusion: string | null = null,
  ): FakeRun {
    const run = super.setRunStatus(runId, status, conclusion);
    if (status === 'completed')
      for (const [key, review] of this.pendingReviews)
        if (review.runId === runId) this.pendingReviews.delete(key);
    return run;
  }

  /** How many jobs of the run wait on the environment's custom rule (0: none). */
  waitingJobs(runId: number, environment: string): number {
    return this.pendingReviews.get(reviewKey(runId, environment))?.jobs ?? 0;
  }

  /** The login a caller acts as: the App's bot account, or the personal token's user. */
  loginOf(caller: Caller): string {
    return caller.kind === 'user' ? caller.login : `${this.app?.slug ?? 'app'}[bot]`;
  }

  /**
   * A run started outside the bot, by `actor` with `event`
   * (https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows).
   * When its jobs reference an environment with the custom rule, it waits and GitHub asks the
   * App; resolves once those deliveries are answered.
   */
  async startRun(owner: string, repo: string, options: OutsideRun): Promise<FakeRun> {
    const { workflow = 'deploy.yml', event, actor, inputs = {}, environment, jobs = 1 } = options;
    const branch = options.branch ?? this.repo(owner, repo).defaultBranch;
    const sha = options.sha ?? this.branchHead(owner, repo, branch);
    const workflowId = this.workflowId(owner, repo, workflow);
    const run = this.createRun(owner, repo, workflowId, branch, sha, inputs, { event, actor });
    if (environment) {
      if (!this.environmentOf(owner, repo, environment))
        this.addEnvironment(owner, repo, environment);
      await this.holdAtEnvironment(run, environment, jobs);
    }
    return run;
  }

  /**
   * Re-runs a completed run as `actor` (https://docs.github.com/en/rest/actions/workflow-runs#re-run-a-workflow):
   * same id and event, the next attempt, `actor` as its triggering actor, queued again; jobs
   * referencing a protected environment wait again, and GitHub asks again.
   */
  async rerun(runId: number, actor: string): Promise<FakeRun> {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    if (run.status !== 'completed') throw new Error(`run ${runId} is still running`);
    run.runAttempt++;
    run.triggeringActor = actor;
    run.runStartedAt = new Date().toISOString();
    this.setRunStatus(run.id, 'queued');
    const referenced = this.runEnvironments.get(run.id) ?? [];
    this.runEnvironments.delete(run.id);
    for (const { environment, jobs } of referenced)
      await this.holdAtEnvironment(run, environment, jobs);
    return run;
  }

  /**
   * The run's `jobs` jobs reference `environment`: when it has the custom rule, GitHub creates
   * a deployment for each (status `waiting`), the run waits, and GitHub sends the App one
   * `deployment_protection_rule` delivery per job
   * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#deployment_protection_rule).
   * Resolves with the deliveries once answered; never rejects.
   */
  holdAtEnvironment(run: FakeRun, environment: string, jobs = 1): Promise<FakeDelivery[]> {
    const found = this.environmentOf(run.owner, run.repo, environment);
    if (!found?.customRuleId) return Promise.resolve([]);
    const referenced = this.runEnvironments.get(run.id) ?? [];
    this.runEnvironments.set(run.id, [...referenced, { environment: found.name, jobs }]);
    const review: PendingReview = {
      runId: run.id,
      environment: found.name,
      jobs,
      jobIds: [],
      deploymentIds: [],
    };
    const deployments: FakeDeployment[] = [];
    for (let index = 0; index < jobs; index++) {
      const job = this.addJob(run.id, jobs === 1 ? 'deploy' : `deploy (${index + 1})`, [
        'Set up job',
        'Deploy',
      ]);
      job.status = 'waiting';
      const deployment = this.jobDeployment(run, found.name);
      review.jobIds.push(job.id);
      review.deploymentIds.push(deployment.id);
      deployments.push(deployment);
    }
    this.pendingReviews.set(reviewKey(run.id, found.name), review);
    this.setRunStatus(run.id, 'waiting');
    return Promise.all(
      deployments.map((deployment) =>
        this.webhooks.send(
          'deployment_protection_rule',
          protectionRuleEvent(this, run, deployment),
        ),
      ),
    );
  }

  /**
   * The App's answer for the jobs of a run waiting on `environment`
   * (https://docs.github.com/en/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run):
   * all of them alike. Approved, they go on (and their deployments to `in_progress`); rejected,
   * they fail and so does the run. A comment alone (`state` null) is kept, the jobs wait on.
   * False when nothing of the run waits on that environment.
   */
  answerProtectionRule(
    runId: number,
    environment: string,
    state: 'approved' | 'rejected' | null,
    comment = '',
  ): boolean {
    const run = this.runs.get(runId);
    const key = reviewKey(runId, environment);
    const review = this.pendingReviews.get(key);
    if (!run || !review) return false;
    this.protectionAnswers.push({
      runId,
      environment: review.environment,
      state,
      comment,
      at: Date.now(),
    });
    if (state === null) return true;
    this.pendingReviews.delete(key);
    for (const jobId of review.jobIds)
      if (state === 'approved') this.setJob(jobId, 'in_progress', { running: 1 });
      else this.setJob(jobId, 'completed', { running: 1, conclusion: 'failure' });
    for (const deployment of this.deployments.filter((d) => review.deploymentIds.includes(d.id)))
      deployment.statuses.push({
        id: this.nextDeploymentId++,
        state: state === 'approved' ? 'in_progress' : 'failure',
        description: comment,
      });
    if (state === 'rejected') this.setRunStatus(runId, 'completed', 'failure');
    else if (![...this.pendingReviews.values()].some((waiting) => waiting.runId === runId)) {
      this.setRunStatus(runId, 'in_progress');
    }
    return true;
  }

  /**
   * The custom rules enabled on an environment, as the REST API lists them
   * (https://docs.github.com/en/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment);
   * undefined for an environment the repository does not have.
   */
  protectionRulesOf(
    owner: string,
    repo: string,
    name: string,
  ): Record<string, unknown>[] | undefined {
    const environment = this.environmentOf(owner, repo, name);
    if (!environment) return undefined;
    if (!environment.customRuleId || !this.app) return [];
    return [protectionRulePayload(this.app, environment.customRuleId, this.apiUrl)];
  }

  /** The deployment GitHub creates for a job referencing `environment`, waiting on its rules. */
  private jobDeployment(run: FakeRun, environment: string): FakeDeployment {
    const deployment: FakeDeployment = {
      id: this.nextDeploymentId++,
      owner: run.owner,
      repo: run.repo,
      sha: run.headSha,
      ref: run.headBranch,
      task: 'deploy',
      environment,
      description: '',
      payload: {},
      autoMerge: false,
      productionEnvironment: environment.toLowerCase() === 'production',
      transientEnvironment: false,
      creator: run.actor,
      statuses: [{ id: this.nextDeploymentId++, state: 'waiting', description: '' }],
    };
    this.deployments.push(deployment);
    return deployment;
  }
}

/** The key of pendingReviews: a run and an environment (whose name ignores case). */
export function reviewKey(runId: number, environment: string): string {
  return `${runId}:${environment.toLowerCase()}`;
}
