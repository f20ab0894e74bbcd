import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
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
    // Every route of the fake was asked (the App's routes, and the custom deployment protection
    // rules' below, have tests of their own).
    const asked = new Set(answered.map((call) => `${call.method} ${call.route}`));
    const served = ROUTES.routes
      .map((route) => `${route.method} ${route.template}`)
      .filter((route) => !/installation|deployment_protection_rule|^GET \/app$/.test(route));
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

/**
 * Environments with a custom deployment protection rule the App provides: a run whose jobs
 * reference one waits, GitHub asks the App by signed delivery, and only the App answers.
 */
describe('the fake GitHub’s custom deployment protection rules', () => {
  const SECRET = 'protection-rule-secret';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const o = { owner: 'acme', repo: 'gated' };
  let github: FakeGithub;
  let receiver: Server;
  let received: Array<{ event: string; signed: boolean; body: Record<string, unknown> }>;
  /** The App, as its installation on `owner`; the personal token's user. */
  let asApp: Octokit;
  let asUser: Octokit;

  beforeAll(async () => {
    github = await FakeGithub.start();
    github.addRepo('acme', 'gated');
    github.addRepo('globex', 'gated');
    github.enableApp(4242, publicKey, {
      acme: 77,
      // An installation without the Deployments permission.
      globex: { id: 78, permissions: { actions: 'write', metadata: 'read' } },
    });
    github.addEnvironment('acme', 'gated', 'production', { customRule: true });
    github.addEnvironment('acme', 'gated', 'staging');
    github.addEnvironment('globex', 'gated', 'production', { customRule: true });
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
        received.push({
          event: String(req.headers['x-github-event']),
          signed: req.url === '/webhook/github' && req.headers['x-hub-signature-256'] === expected,
          body: JSON.parse(raw.toString('utf8')),
        });
        res.writeHead(202).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    github.deliverWebhooksTo(
      `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      SECRET,
    );
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const installed = (installationId: number) =>
      new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: 4242, privateKey: pem, installationId },
        baseUrl: github.apiUrl,
      });
    asApp = installed(77);
    asUser = new Octokit({ auth: github.token, baseUrl: github.apiUrl });
  });
  afterAll(async () => {
    await github.deliveriesSettled();
    await github.close();
    receiver.closeAllConnections();
    await new Promise((done) => receiver.close(done));
  });

  const review = (client: Octokit, runId: number, body: Record<string, unknown>) =>
    client
      .request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
        ...o,
        run_id: runId,
        ...body,
      } as never)
      .then(
        (answer) => ({ status: answer.status, message: undefined as string | undefined }),
        (error: { status: number; response?: { data?: { message?: string } } }) => ({
          status: error.status,
          message: error.response?.data?.message,
        }),
      );
  const deliveriesFor = (runId: number) =>
    github.deliveries.filter((d) =>
      String(d.payload.deployment_callback_url).includes(`/${runId}/`),
    );

  it('makes a run started from the UI wait at a protected environment and asks the App, signed', async () => {
    const before = received.length;
    const run = await github.startRun('acme', 'gated', {
      event: 'workflow_dispatch',
      actor: 'mona',
      environment: 'production',
      jobs: 2,
    });

    expect(run.status).toBe('waiting');
    expect(github.waitingJobs(run.id, 'production')).toBe(2);
    const deliveries = deliveriesFor(run.id);
    expect(deliveries.map((d) => [d.event, d.status])).toEqual([
      ['deployment_protection_rule', 202],
      ['deployment_protection_rule', 202],
    ]);
    expect(received.slice(before).map((r) => [r.event, r.signed])).toEqual([
      ['deployment_protection_rule', true],
      ['deployment_protection_rule', true],
    ]);
    const [first] = received.slice(before);
    expect(first.body).toMatchObject({
      action: 'requested',
      environment: 'production',
      event: 'workflow_dispatch',
      deployment_callback_url: `${github.apiUrl}/repos/acme/gated/actions/runs/${run.id}/deployment_protection_rule`,
      deployment: { environment: 'production', sha: run.headSha, creator: { login: 'mona' } },
      pull_requests: [],
      repository: { full_name: 'acme/gated' },
      installation: { id: 77 },
      sender: { login: 'mona', type: 'User' },
    });
    expect(checker().webhook('deployment-protection-rule-requested', first.body)).toEqual([]);
    // Each job has a deployment of its own, waiting.
    const ids = received.slice(before).map((r) => (r.body.deployment as { id: number }).id);
    expect(new Set(ids).size).toBe(2);
    expect(
      github.deployments.filter((d) => ids.includes(d.id)).map((d) => d.statuses.at(-1)?.state),
    ).toEqual(['waiting', 'waiting']);

    const shown = await asUser.rest.actions.getWorkflowRun({ ...o, run_id: run.id });
    expect(shown.data).toMatchObject({
      status: 'waiting',
      event: 'workflow_dispatch',
      run_attempt: 1,
      actor: { login: 'mona' },
      triggering_actor: { login: 'mona' },
    });
    const jobs = await asUser.rest.actions.listJobsForWorkflowRun({ ...o, run_id: run.id });
    expect(jobs.data.jobs.map((job) => job.status)).toEqual(['waiting', 'waiting']);
  });

  it('lets the App approve: every waiting job and the run go on; a second answer is a 422', async () => {
    const run = await github.startRun('acme', 'gated', {
      event: 'push',
      actor: 'mona',
      environment: 'production',
      jobs: 2,
    });

    expect(
      await review(asApp, run.id, {
        environment_name: 'production',
        state: 'approved',
        comment: 'Checks passed',
      }),
    ).toEqual({ status: 204, message: undefined });

    expect(github.runs.get(run.id)).toMatchObject({ status: 'in_progress', conclusion: null });
    expect(github.waitingJobs(run.id, 'production')).toBe(0);
    const ids = deliveriesFor(run.id).map((d) => (d.payload.deployment as { id: number }).id);
    expect(
      github.deployments.filter((d) => ids.includes(d.id)).map((d) => d.statuses.at(-1)?.state),
    ).toEqual(['in_progress', 'in_progress']);
    expect(github.protectionAnswers.at(-1)).toMatchObject({
      runId: run.id,
      environment: 'production',
      state: 'approved',
      comment: 'Checks passed',
    });
    expect(
      await review(asApp, run.id, { environment_name: 'production', state: 'approved' }),
    ).toEqual({
      status: 422,
      message: 'No pending custom deployment protection rule for this environment',
    });
    // Nothing waits on an environment without the rule either.
    expect(
      (await review(asApp, run.id, { environment_name: 'staging', state: 'approved' })).status,
    ).toBe(422);
  });

  it('lets the App reject: the run fails; a comment alone keeps the jobs waiting', async () => {
    const run = await github.startRun('acme', 'gated', {
      event: 'push',
      actor: 'hubot',
      environment: 'production',
    });
    expect(
      (await review(asApp, run.id, { environment_name: 'production', comment: 'Looking' })).status,
    ).toBe(204);
    expect(github.runs.get(run.id)!.status).toBe('waiting');

    expect(
      (await review(asApp, run.id, { environment_name: 'PRODUCTION', state: 'rejected' })).status,
    ).toBe(204);

    expect(github.runs.get(run.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const jobs = [...github.jobs.values()].filter((job) => job.runId === run.id);
    expect(jobs.map((job) => [job.status, job.conclusion])).toEqual([['completed', 'failure']]);
    expect(github.protectionAnswers.slice(-2).map((answer) => answer.state)).toEqual([
      null,
      'rejected',
    ]);
    // A run cancelled while it waits has nothing waiting any more.
    const cancelled = await github.startRun('acme', 'gated', {
      event: 'push',
      actor: 'hubot',
      environment: 'production',
    });
    await asUser.rest.actions.cancelWorkflowRun({ ...o, run_id: cancelled.id });
    expect(
      (await review(asApp, cancelled.id, { environment_name: 'production', state: 'approved' }))
        .status,
    ).toBe(422);
  });

  it('refuses the personal token, an installation without Deployments (write), and a bad body', async () => {
    const run = await github.startRun('acme', 'gated', {
      event: 'repository_dispatch',
      actor: 'mona',
      environment: 'production',
    });
    const approve = { environment_name: 'production', state: 'approved' };

    expect((await review(asUser, run.id, approve)).status).toBe(403);
    const otherRun = await github.startRun('globex', 'gated', {
      event: 'push',
      actor: 'mona',
      environment: 'production',
    });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const withoutDeployments = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: 4242, privateKey: pem, installationId: 78 },
      baseUrl: github.apiUrl,
    });
    const refused = await withoutDeployments
      .request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
        owner: 'globex',
        repo: 'gated',
        run_id: otherRun.id,
        ...approve,
      } as never)
      .catch((error: { status: number }) => error);
    expect(refused.status).toBe(403);
    expect((await review(asApp, run.id, { state: 'approved' })).status).toBe(422);
    expect(
      (await review(asApp, run.id, { environment_name: 'production', state: 'maybe' })).status,
    ).toBe(422);
    // GitHub's description does not allow those two bodies either.
    const violations = takeViolations();
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.filter((v) => !v.includes('deployment_protection_rule: body'))).toEqual([]);

    expect(github.runs.get(run.id)!.status).toBe('waiting');
    expect(github.runs.get(otherRun.id)!.status).toBe('waiting');
  });

  it('re-runs a run under its id and event, as the next attempt that waits again', async () => {
    const run = await github.startRun('acme', 'gated', {
      event: 'push',
      actor: 'hubot',
      environment: 'production',
    });
    await review(asApp, run.id, { environment_name: 'production', state: 'rejected' });

    const again = await github.rerun(run.id, 'octocat');

    expect(again).toMatchObject({ id: run.id, runAttempt: 2, event: 'push', status: 'waiting' });
    const shown = await asUser.rest.actions.getWorkflowRun({ ...o, run_id: run.id });
    expect(shown.data).toMatchObject({
      run_attempt: 2,
      actor: { login: 'hubot' },
      triggering_actor: { login: 'octocat' },
    });
    expect(deliveriesFor(run.id).map((d) => (d.payload.sender as { login: string }).login)).toEqual(
      ['hubot', 'octocat'],
    );
    expect(deliveriesFor(run.id).at(-1)!.payload.event).toBe('push');
    // The jobs listed are the new attempt's.
    const jobs = await asUser.rest.actions.listJobsForWorkflowRun({ ...o, run_id: run.id });
    expect(jobs.data.jobs.map((job) => [job.run_attempt, job.status])).toEqual([[2, 'waiting']]);
  });

  it('holds the bot’s own dispatch too, its actor the App’s bot or the token’s user', async () => {
    const dispatch = (client: Octokit) =>
      client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
        ...o,
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs: { environment: 'production' },
        return_run_details: true,
      });
    const byApp = (await dispatch(asApp)).data as unknown as { workflow_run_id: number };
    const byUser = (await dispatch(asUser)).data as unknown as { workflow_run_id: number };
    await github.deliveriesSettled();

    for (const [runId, login] of [
      [byApp.workflow_run_id, 'chatops-deploy-bot[bot]'],
      [byUser.workflow_run_id, 'deploy-operator'],
    ] as const) {
      expect(github.runs.get(runId)).toMatchObject({ status: 'waiting', actor: login });
      expect(
        deliveriesFor(runId).map((d) => [d.status, (d.payload.sender as { login: string }).login]),
      ).toEqual([[202, login]]);
    }
  });

  it('lists the App as the custom rule of the environments it is enabled on', async () => {
    const from = github.calls.length;
    const rules = (environment_name: string) =>
      asApp.rest.repos.getAllDeploymentProtectionRules({ ...o, environment_name }).then(
        (answer) => answer.data,
        (error: { status: number }) => error.status,
      );

    expect(await rules('production')).toEqual({
      total_count: 1,
      custom_deployment_protection_rules: [
        {
          id: expect.any(Number),
          node_id: expect.any(String),
          enabled: true,
          app: {
            id: 4242,
            slug: 'chatops-deploy-bot',
            integration_url: `${github.apiUrl}/apps/chatops-deploy-bot`,
            node_id: expect.any(String),
          },
        },
      ],
    });
    expect(await rules('staging')).toEqual({
      total_count: 0,
      custom_deployment_protection_rules: [],
    });
    expect(await rules('nowhere')).toBe(404);
    const violations = github.calls
      .slice(from)
      .flatMap((call) =>
        checker().githubResponse(call.method, call.route, call.status, call.answer),
      );
    expect(violations).toEqual([]);
  });

  it('names the App itself to its JWT (its slug: the account `<slug>[bot]`)', async () => {
    const from = github.calls.length;
    const { data } = await asApp.request('GET /app');
    expect(data).toMatchObject({ id: 4242, slug: 'chatops-deploy-bot' });
    const violations = github.calls
      .slice(from)
      .flatMap((call) =>
        checker().githubResponse(call.method, call.route, call.status, call.answer),
      );
    expect(violations).toEqual([]);
  });
});
