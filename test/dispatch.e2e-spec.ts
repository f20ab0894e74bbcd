import {
  deploy,
  finishRun,
  newService,
  recordInFlight,
  refusalOf,
  runDeploy,
  statusesOf,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The dispatch endpoint of `repo`'s deploy workflow. */
const dispatchOf = (repo: string) =>
  new RegExp(`^/repos/acme/${repo}/actions/workflows/deploy\\.yml/dispatches$`);

describe('the workflow dispatch', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '200' } });
  });
  afterAll(() => app?.closeAll());
  beforeEach(() => {
    app.github.dispatchMode = 'details';
  });

  it('finds the run by listing when GitHub answers 204, skipping runs it must not take', async () => {
    const { github } = app;
    const service = await newService(app);
    github.dispatchMode = 'no-content';
    const decoySha = github.addCommit('acme', service.repo, 'main', 'Someone else');
    const decoy = github.createRun(
      'acme',
      service.repo,
      github.workflowId('acme', service.repo),
      'main',
      decoySha,
    );
    decoy.createdAt = new Date(Date.now() - 60_000).toISOString();

    const before = github.dispatches.length;
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const dispatched = await waitFor('the dispatch', () => github.dispatches[before]);
    await waitFor(
      'the run to be found',
      async () => (await storedDeployment(app, id)).runId === dispatched.runId,
    );
    expect(dispatched.returnRunDetails).toBe(true);
    await waitForMessageText(app, interaction, `#${dispatched.runId}`);
    await finishRun(app, id);
  });

  it('retries once without return_run_details when GitHub Enterprise refuses it', async () => {
    const service = await newService(app);
    app.github.dispatchMode = 'reject-return-run-details';
    const before = app.github.dispatches.length;
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitFor('the run to be found', async () =>
      Boolean((await storedDeployment(app, id)).runId),
    );
    expect(app.github.dispatches.length).toBe(before + 1);
    expect(app.github.dispatches.at(-1)!.returnRunDetails).toBe(false);
    await finishRun(app, id);
  });

  it('marks a refused dispatch dispatch_failed with GitHub’s reason, and frees the target', async () => {
    const service = await newService(app);
    app.github.failNext(/\/dispatches$/, 422, "Workflow does not have 'workflow_dispatch' trigger");
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatch_failed');
    const text = await waitForMessageText(app, interaction, 'Could not dispatch');
    expect(text).toContain(
      `GitHub refused the request for workflow deploy.yml in acme/${service.repo}: Workflow does not have 'workflow_dispatch' trigger`,
    );
    expect(await storedDeployment(app, id)).not.toHaveProperty('busyTarget');
    const next = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, next.id, 'dispatched');
    await finishRun(app, next.id);
  });

  it('sends nothing when the branch it runs from is no longer the default or a protected one', async () => {
    const service = await newService(app);
    const repo = app.github.repoOf('acme', service.repo);
    app.github.addCommit('acme', service.repo, 'develop', 'elsewhere');
    repo.defaultBranch = 'develop';
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const failed = await waitForStatus(app, id, 'dispatch_failed');
    expect(failed.failureReason).toBe(
      `Not dispatched: the workflow would run from \`main\`, which is no longer the default branch of acme/${service.repo} (now \`develop\`) and is not protected.`,
    );
    await waitForMessageText(app, interaction, 'Could not dispatch');
    expect(app.github.dispatches.filter((d) => d.repo === service.repo)).toHaveLength(0);
  });

  it('fails closed when GitHub cannot confirm the branch', async () => {
    const service = await newService(app);
    // A tag is deployed (resolved without the branch); the branch lookup is then refused.
    app.github.addTag('acme', service.repo, 'v1', service.headSha);
    app.github.failNext(
      new RegExp(`^/repos/acme/${service.repo}/branches/main$`),
      403,
      'Resource not accessible by integration',
    );
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging', 'v1');
    const failed = await waitForStatus(app, id, 'dispatch_failed');
    expect(failed.failureReason).toMatch(
      /^Not dispatched: the workflow would run from `main`, and GitHub could not confirm it is still the default or a protected branch: The bot token is not allowed to access branch main/,
    );
    expect(app.github.dispatches.filter((d) => d.repo === service.repo)).toHaveLength(0);
  });

  describe("GitHub's answer to the dispatch is lost", () => {
    // An app of its own: these tests move its clock, which the runs of the fake GitHub do not follow.
    let app: TestApp;
    beforeAll(async () => {
      app = await startAppWithFakes({
        env: {
          DEPLOY_COOLDOWN_MS: '0',
          POLL_INTERVAL_MS: '200',
          GITHUB_REQUEST_TIMEOUT_MS: '1000',
        },
      });
    });
    afterAll(() => app?.closeAll());
    beforeEach(() => {
      app.github.createRunsOnDispatch = true;
    });

    const posts = (repo: string) =>
      app.github.calls.filter((call) => call.method === 'POST' && call.path === dispatchPath(repo));
    const dispatchPath = (repo: string) =>
      `/repos/acme/${repo}/actions/workflows/deploy.yml/dispatches`;

    it.each([
      ['a 502 after GitHub took it', (repo: string) => app.github.loseNextAnswer(dispatchOf(repo))],
      [
        'no answer at all (the request times out)',
        (repo: string) => app.github.silenceNext(dispatchOf(repo), 'hang'),
      ],
      ['a reset connection', (repo: string) => app.github.silenceNext(dispatchOf(repo), 'reset')],
    ])('after %s: one POST, the run it started is found and tracked', async (_case, lose) => {
      const service = await newService(app);
      lose(service.repo);
      const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
      const found = await waitForStatus(app, id, 'queued');
      expect(posts(service.repo)).toHaveLength(1);
      expect(found.runId).toBe(app.github.dispatches.at(-1)!.runId);
      expect(statusesOf(found)).toEqual(['dispatching', 'dispatch_unknown', 'queued']);
      await waitForMessageText(app, interaction, `#${found.runId}`);
      await finishRun(app, id);
      expect(posts(service.repo)).toHaveLength(1);
    });

    it('keeps the target busy while it looks, and takes a run that appears 30 s late', async () => {
      const service = await newService(app);
      app.github.createRunsOnDispatch = false;
      app.github.loseNextAnswer(dispatchOf(service.repo), 504);
      const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
      await waitForStatus(app, id, 'dispatch_unknown');
      await waitForMessageText(app, interaction, "GitHub's answer was lost: looking for the run");
      const busy = await runDeploy(app, app.actors.deployer, service.name, 'staging');
      expect(await refusalOf(busy)).toContain(`already has deployment ${id}`);
      app.clock.advance(30_000);
      const sent = app.github.dispatches.at(-1)!;
      const run = app.github.createRun(
        'acme',
        service.repo,
        app.github.workflowId('acme', service.repo),
        'main',
        service.headSha,
        sent.inputs,
      );
      const found = await waitForStatus(app, id, 'queued');
      expect(found.runId).toBe(run.id);
      expect(posts(service.repo)).toHaveLength(1);
      await finishRun(app, id);
    });

    // The request dies on the way in, or a proxy answers 502 before GitHub took it: GitHub
    // started nothing, and the bot cannot know that.
    it.each([
      [
        'a connection reset',
        (repo: string) => app.github.silenceNext(dispatchOf(repo), 'reset', { before: true }),
      ],
      ['a 502', (repo: string) => app.github.failNext(dispatchOf(repo), 502, 'Bad Gateway')],
    ])(
      'after %s before GitHub took it: dispatch_failed, saying what to check, when no run appears; nothing is sent again',
      async (_case, lose) => {
        const service = await newService(app);
        lose(service.repo);
        const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
        await waitForStatus(app, id, 'dispatch_unknown');
        expect(await storedDeployment(app, id)).toHaveProperty('busyTarget');
        app.clock.advance(121_000);
        const failed = await waitForStatus(app, id, 'dispatch_failed');
        expect(failed.failureReason).toBe(
          "GitHub's answer to the dispatch was lost, and no run of deploy.yml appeared within 2 minutes of it. Nothing was sent again: look at the workflow's runs on GitHub before deploying again",
        );
        expect(failed).not.toHaveProperty('busyTarget');
        await waitForMessageText(app, interaction, 'Nothing was sent again');
        expect(posts(service.repo)).toHaveLength(1);
        expect(app.github.dispatches.filter((d) => d.repo === service.repo)).toHaveLength(0);
      },
    );

    it('fails at once, with GitHub’s reason, on a definite refusal (4xx)', async () => {
      const service = await newService(app);
      app.github.failNext(dispatchOf(service.repo), 403, 'Resource not accessible by integration');
      const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
      const failed = await waitForStatus(app, id, 'dispatch_failed');
      expect(statusesOf(failed)).toEqual(['dispatching', 'dispatch_failed']);
      expect(posts(service.repo)).toHaveLength(1);
    });
  });

  describe('a deployment a crash left dispatching (recorded, never dispatched)', () => {
    const leftDispatching = (service: string, repo: string, sha: string) =>
      recordInFlight(app, { service, repo, environment: 'staging', sha });

    it('takes the run GitHub did start, without dispatching again', async () => {
      const service = await newService(app);
      const dispatches = app.github.dispatches.length;
      const id = await leftDispatching(service.name, service.repo, service.headSha);
      const run = app.github.createRun(
        'acme',
        service.repo,
        app.github.workflowId('acme', service.repo),
        'main',
        service.headSha,
      );
      const found = await waitForStatus(app, id, 'queued');
      expect(found.runId).toBe(run.id);
      expect(app.github.dispatches.length).toBe(dispatches);
      await finishRun(app, id);
    });

    it('gives up once no run has appeared in two minutes, and never re-dispatches', async () => {
      const service = await newService(app);
      const dispatches = app.github.dispatches.length;
      const id = await leftDispatching(service.name, service.repo, service.headSha);
      app.clock.advance(180_000);
      const failed = await waitForStatus(app, id, 'dispatch_failed');
      expect(failed.failureReason).toBe(
        'GitHub never started a run for this dispatch; it was not re-dispatched',
      );
      expect(app.github.dispatches.length).toBe(dispatches);
    });
  });
});
