import {
  deploy,
  deploymentIdOf,
  finishRun,
  metricsOf,
  newService,
  refusalOf,
  runDeploy,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Webhooks only: the poller stays out of the way. */
const WEBHOOKS_ONLY = { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' };

describe('/deploy', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: WEBHOOKS_ONLY });
  });
  afterAll(() => app?.closeAll());

  it('dispatches the resolved commit exactly once and reports the run to its end', async () => {
    const { github } = app;
    const service = await newService(app, { environments: ['staging', 'qa'] });
    const head = github.addCommit('acme', service.repo, 'main', 'Add health endpoint');
    const githubCallsBefore = github.rateLimitedCalls().length;
    const dispatchesBefore = github.dispatches.length;
    const interaction = await runDeploy(app, app.actors.deployer, service.name, 'staging');
    expect((await interaction.firstCallback()).type).toBe(5);
    const id = await deploymentIdOf(interaction);
    await waitForStatus(app, id, 'dispatched');

    expect(github.dispatches.length).toBe(dispatchesBefore + 1);
    const dispatch = github.dispatches.at(-1)!;
    expect(dispatch).toMatchObject({
      repo: service.repo,
      ref: 'refs/heads/main',
      inputs: { environment: 'staging', sha: head },
      returnRunDetails: true,
    });
    const runId = dispatch.runId!;
    let text = await waitForMessageText(app, interaction, `#${runId}`);
    expect(text).toContain(`Deploy ${service.name} → staging`);
    expect(text).toContain(`Ref: \`main\` → \`${head.slice(0, 7)}\``);
    expect(text).toContain('Requested by: dana-deployer');
    expect(text).toContain(`Deployment: ${id}`);

    github.setRunStatus(runId, 'in_progress');
    expect((await runWebhook(app, runId)).status).toBe(200);
    expect((await storedDeployment(app, id)).status).toBe('in_progress');
    await waitForMessageText(app, interaction, 'In progress');

    github.setRunStatus(runId, 'completed', 'success');
    const completed = await runWebhook(app, runId);
    expect(JSON.parse(completed.body)).toEqual({ status: 'accepted' });
    text = await waitForMessageText(app, interaction, /Succeeded in \d+s/);
    expect(text).toContain(
      `[#${runId}](https://github.example/acme/${service.repo}/actions/runs/${runId})`,
    );

    const stored = await storedDeployment(app, id);
    expect(stored).toMatchObject({ status: 'success', runConclusion: 'success' });
    expect(stored).not.toHaveProperty('busyTarget');
    expect((stored.transitions as Array<{ status: string }>).map((t) => t.status)).toEqual([
      'dispatching',
      'dispatched',
      'in_progress',
      'success',
    ]);
    // Ref → SHA, that the branch the workflow runs from is still protected (or the default), then
    // the dispatch: nothing else counts against the rate limit on this path.
    expect(github.rateLimitedCalls().length - githubCallsBefore).toBeLessThanOrEqual(4);
    const labels = `service="${service.name}",environment="staging",status="success"`;
    const metrics = await waitFor('the metrics', async () => {
      const text = await metricsOf(app);
      return text.includes(`chatops_deployments_total{${labels}} 1`) ? text : undefined;
    });
    expect(metrics).toContain(`chatops_deployment_duration_seconds_count{${labels}} 1`);
  });

  it('dispatches a tag and a bare SHA on the default branch, the commit in the sha input', async () => {
    const { github } = app;
    const service = await newService(app, { environments: ['staging', 'qa'] });
    github.addTag('acme', service.repo, 'v1.2.0', service.headSha);
    const tag = await deploy(app, app.actors.deployer, service.name, 'qa', 'v1.2.0');
    await waitForStatus(app, tag.id, 'dispatched');
    // The workflow as defined on the protected default branch runs, never one from the ref.
    expect(github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { sha: service.headSha },
    });
    await finishRun(app, tag.id, 'success');

    const sha = await deploy(
      app,
      app.actors.deployer,
      service.name,
      'qa',
      service.headSha.slice(0, 10),
    );
    await waitForStatus(app, sha.id, 'dispatched');
    expect(github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { environment: 'qa', sha: service.headSha },
    });
    await finishRun(app, sha.id, 'failure');
    expect(await waitForMessageText(app, sha.interaction, /Failed in \d+s/)).toContain(
      `Deploy ${service.name} → qa`,
    );
  });

  it.each([
    [
      'an unknown service',
      'nope',
      'staging',
      undefined,
      'Unknown service "nope". `/service list` shows the registered ones.',
    ],
    [
      'an environment the service does not have',
      undefined,
      'qa',
      undefined,
      '{name} does not deploy to "qa"; its environments are staging, prod.',
    ],
    [
      'an unknown ref',
      undefined,
      'staging',
      'no-such-branch',
      'acme/{repo} has no branch, tag or commit "no-such-branch".',
    ],
  ])(
    'refuses %s clearly, privately, dispatching nothing',
    async (_what, serviceName, env, ref, message) => {
      const service = await newService(app);
      const dispatches = app.github.dispatches.length;
      const interaction = await runDeploy(
        app,
        app.actors.deployer,
        serviceName ?? service.name,
        env,
        ref,
      );
      expect(await refusalOf(interaction)).toBe(
        message.replace('{name}', service.name).replace('{repo}', service.repo),
      );
      expect(interaction.followUps()[0].flags & 64).toBe(64);
      await waitFor('the public reply to go', () => interaction.reply() === undefined);
      expect(app.github.dispatches.length).toBe(dispatches);
    },
  );

  it("refuses a viewer's deploy and audits it", async () => {
    const service = await newService(app);
    const interaction = await runDeploy(app, app.actors.viewer, service.name, 'staging');
    expect(await refusalOf(interaction)).toBe(
      `Only deployers and admins for staging can deploy ${service.name}.`,
    );
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ 'actor.id': app.actors.viewer.user.id, 'options.service': service.name }),
    );
    expect(entry).toMatchObject({
      command: 'deploy',
      outcome: 'refused',
      code: 'ACCESS.DENIED',
      options: { service: service.name, env: 'staging' },
    });
  });

  it('holds one deployment in flight per target, saying which', async () => {
    const service = await newService(app);
    const first = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, first.id, 'dispatched');
    const same = await runDeploy(app, app.actors.admin, service.name, 'staging');
    expect(await refusalOf(same)).toBe(
      `${service.name} → staging already has deployment ${first.id} dispatched, requested by dana-deployer. Wait for it to finish.`,
    );
    await finishRun(app, first.id, 'cancelled');
    const again = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, again.id, 'dispatched');
    await finishRun(app, again.id);
  });
});

describe('/deploy: the cap on deployments in flight', () => {
  it('refuses past MAX_CONCURRENT_DEPLOYS, listing what is in flight, and counts them', async () => {
    const app = await startAppWithFakes({ env: { ...WEBHOOKS_ONLY, MAX_CONCURRENT_DEPLOYS: '2' } });
    try {
      const api = await newService(app, { environments: ['staging', 'qa'] });
      const web = await newService(app);
      const first = await deploy(app, app.actors.deployer, api.name, 'staging');
      const second = await deploy(app, app.actors.deployer, web.name, 'staging');
      const third = await runDeploy(app, app.actors.deployer, api.name, 'qa');
      expect(await refusalOf(third)).toBe(
        `2 deployments are already in flight, the most allowed at once: ${first.id} (${api.name} → staging), ${second.id} (${web.name} → staging). Try again when one finishes.`,
      );
      expect(await metricsOf(app)).toMatch(/chatops_active_deployments 2/);

      for (const id of [first.id, second.id]) await finishRun(app, id, 'cancelled');
      await waitFor('the gauge to drop', async () =>
        /chatops_active_deployments 0/.test(await metricsOf(app)),
      );
      const again = await deploy(app, app.actors.deployer, api.name, 'qa');
      await waitForStatus(app, again.id, 'dispatched');
    } finally {
      await app.closeAll();
    }
  });
});

describe('/deploy cooldown', () => {
  it('refuses a second deploy by the same person within DEPLOY_COOLDOWN_MS, saying how long to wait', async () => {
    const app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '60000', POLL_INTERVAL_MS: '600000' },
    });
    try {
      const service = await newService(app, { environments: ['staging', 'qa', 'prod'] });
      const first = await deploy(app, app.actors.deployer, service.name, 'staging');
      await waitForStatus(app, first.id, 'dispatched');
      const second = await runDeploy(app, app.actors.deployer, service.name, 'qa');
      expect(await refusalOf(second)).toMatch(
        /^You deployed moments ago; you can deploy again in (59|60) s\.$/,
      );
      expect(app.github.dispatches).toHaveLength(1);
      // Another person is not held back by it; the first person is, until the time is up.
      await deploy(app, app.actors.admin, service.name, 'qa');
      await waitFor('the second dispatch', () => app.github.dispatches.length === 2);
      app.clock.advance(60_000);
      const later = await deploy(app, app.actors.deployer, service.name, 'prod');
      await waitForStatus(app, later.id, 'pending_approval');
    } finally {
      await app.closeAll();
    }
  });
});
