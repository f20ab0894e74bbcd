import {
  deploy,
  finishRun,
  newService,
  recordInFlight,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

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
