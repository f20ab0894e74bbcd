import { Octokit } from '@octokit/rest';
import { checker, WEBHOOKS } from './support/contracts/route-list';
import { takeViolations } from './support/contracts/violations';
import { FakeGithub, ROUTES } from './support/fake-github';
import type { GithubCall } from './support/fake-github';

/**
 * The fake GitHub, held to GitHub's own descriptions: each route answers as GitHub's REST API
 * description says that operation answers (every field the fake sends, by type, format and
 * value; fields the bot does not read may be left out), the webhook payloads it sends are
 * GitHub's webhook payloads, and a request GitHub's description does not allow is caught.
 */
describe('the fake GitHub', () => {
  let github: FakeGithub;
  let octokit: Octokit;

  beforeAll(async () => {
    github = await FakeGithub.start();
    octokit = new Octokit({ auth: github.token, baseUrl: github.apiUrl });
  });
  afterAll(() => github.close());

  /** Every answer since `from`, checked against the description of its route and status. */
  const answersSince = (from: number) =>
    github.calls
      .slice(from)
      .filter((call): call is GithubCall & { answer: unknown } => call.answer !== undefined);

  it('answers every route it serves as GitHub describes it', async () => {
    const repo = github.addRepo('acme', 'selftest', { workflows: ['deploy.yml'] });
    const sha = github.branchHead('acme', 'selftest', 'main');
    github.addTag('acme', 'selftest', 'v1', sha);
    github.addCheckRun('acme', 'selftest', sha, 'build', 'in_progress');
    github.setCommitStatus('acme', 'selftest', sha, 'ci/e2e', 'success', { creator: 'ci[bot]' });
    const next = github.addCommit('acme', 'selftest', 'main', 'Second');
    const from = github.calls.length;
    const o = { owner: 'acme', repo: 'selftest' };
    await octokit.rest.repos.get(o);
    await octokit.rest.repos.getBranch({ ...o, branch: 'main' });
    await octokit.rest.repos.listBranches(o);
    await octokit.rest.git.getRef({ ...o, ref: 'tags/v1' });
    await octokit.rest.repos.getCommit({ ...o, ref: sha });
    await octokit.rest.repos.compareCommitsWithBasehead({ ...o, basehead: `${sha}...${next}` });
    await octokit.rest.checks.listForRef({ ...o, ref: sha });
    await octokit.rest.repos.listCommitStatusesForRef({ ...o, ref: sha });
    await octokit.rest.repos.getCombinedStatusForRef({ ...o, ref: sha });
    await octokit.rest.actions.getWorkflow({ ...o, workflow_id: 'deploy.yml' });
    const dispatched = await octokit.request(
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      { ...o, workflow_id: 'deploy.yml', ref: 'refs/heads/main', return_run_details: true },
    );
    const runId = (dispatched.data as unknown as { workflow_run_id: number }).workflow_run_id;
    github.addJob(runId, 'deploy', ['Checkout', 'Deploy']);
    await octokit.rest.actions.listWorkflowRuns({ ...o, workflow_id: 'deploy.yml' });
    await octokit.rest.actions.getWorkflowRun({ ...o, run_id: runId });
    await octokit.rest.actions.listJobsForWorkflowRun({ ...o, run_id: runId });
    await octokit.rest.actions.cancelWorkflowRun({ ...o, run_id: runId });
    const created = await octokit.rest.repos.createDeployment({
      ...o,
      ref: sha,
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
    });
    await octokit.rest.repos.listDeployments(o);
    await octokit.rest.repos.createDeploymentStatus({
      ...o,
      deployment_id: (created.data as { id: number }).id,
      state: 'success',
    });

    const answered = answersSince(from);
    // Every route of the fake was asked (the App's routes have a test of their own).
    const asked = new Set(answered.map((call) => `${call.method} ${call.route}`));
    const served = ROUTES.routes
      .map((route) => `${route.method} ${route.template}`)
      .filter((route) => !/installation/.test(route));
    expect(served.filter((route) => !asked.has(route))).toEqual([]);
    const violations = answered.flatMap((call) =>
      checker().githubResponse(call.method, call.route, call.status, call.answer),
    );
    expect(violations).toEqual([]);
    expect(takeViolations()).toEqual([]);
    expect(repo.workflows).toHaveLength(1);
  });

  it('sends webhook payloads as GitHub describes them', () => {
    github.addRepo('acme', 'hooks');
    const sha = github.branchHead('acme', 'hooks', 'main');
    const run = github.createRun('acme', 'hooks', github.workflowId('acme', 'hooks'), 'main', sha);
    const job = github.addJob(run.id, 'deploy', ['Checkout', 'Deploy']);
    const payloads: Array<[string, unknown]> = [
      ['workflow-run-requested', { action: 'requested', workflow_run: github.runPayload(run) }],
      [
        'workflow-run-in-progress',
        {
          action: 'in_progress',
          workflow_run: github.runPayload(github.setRunStatus(run.id, 'in_progress')),
        },
      ],
      [
        'workflow-run-completed',
        {
          action: 'completed',
          workflow_run: github.runPayload(github.setRunStatus(run.id, 'completed', 'success')),
        },
      ],
      ['workflow-job-queued', github.jobEvent(job, 'queued')],
      [
        'workflow-job-in-progress',
        github.jobEvent(github.setJob(job.id, 'in_progress', { running: 1 })),
      ],
      [
        'workflow-job-completed',
        github.jobEvent(github.setJob(job.id, 'completed', { running: 2 })),
      ],
    ];
    const violations = payloads.flatMap(([name, payload]) => checker().webhook(name, payload));
    expect(violations).toEqual([]);
    expect(payloads.map(([name]) => name).every((name) => WEBHOOKS.includes(name))).toBe(true);
  });

  it('catches a request GitHub does not describe: an unknown route, a bad query, a bad body', async () => {
    github.addRepo('acme', 'wrong');
    const o = { owner: 'acme', repo: 'wrong' };
    await octokit.request('GET /repos/{owner}/{repo}/no-such-thing', o).catch(() => undefined);
    await octokit.request('GET /repos/{owner}/{repo}/branches', {
      ...o,
      per_page: 'many' as never,
    });
    // A workflow's runs' `created` takes GitHub's search syntax for dates, as its description says.
    const runs = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs' as const;
    await octokit.request(runs, {
      ...o,
      workflow_id: 'deploy.yml',
      created: '>=2026-12-04T17:00:00Z',
    });
    await octokit.request(runs, { ...o, workflow_id: 'deploy.yml', created: 'yesterday' });
    await octokit
      .request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
        ...o,
        workflow_id: 'deploy.yml',
        ref: 42,
      } as never)
      .catch(() => undefined);
    const violations = takeViolations();
    expect(violations).toEqual([
      'GET /repos/acme/wrong/no-such-thing: no route of the fake GitHub',
      expect.stringMatching(
        /^GET \/repos\/\{owner\}\/\{repo\}\/branches: query per_page\/value must be integer/,
      ),
      `${runs}: query created is not GitHub's search syntax for dates`,
      expect.stringMatching(
        /^POST \/repos\/\{owner\}\/\{repo\}\/actions\/workflows\/\{workflow_id\}\/dispatches: body\/ref must be string .*\(schema #\/properties\/ref\/type\)$/,
      ),
    ]);
  });
});
