import {
  deploymentIdOf,
  finishRun,
  refusalOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import { messageText, rawText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('what may be deployed where, and what runs', () => {
  let app: TestApp;
  let feature: string;
  let forkSha: string;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0', MAX_CONCURRENT_DEPLOYS: '10' },
      arrange: ({ github }) => {
        github.addRepo('acme', 'api');
        github.addRepo('acme', 'web');
        feature = github.addCommit('acme', 'api', 'feature/login', 'Work in progress');
        github.addCommit('acme', 'api', 'release/1.x', 'Release 1', 'octocat');
        forkSha = github.addPullRequest('acme', 'api', 7, 'Unreviewed change from a fork');
      },
    });
    await seedService(app, { name: 'api', environments: ['staging', 'qa', 'prod'] });
    await seedService(app, { name: 'web', environments: ['staging', 'prod'] });
  });
  afterAll(() => app?.closeAll());

  it('runs the workflow of the default branch, whatever branch is deployed', async () => {
    const handle = await runDeploy(app, app.actors.deployer, 'api', 'staging', 'feature/login');
    const id = await deploymentIdOf(handle);
    await waitForStatus(app, id, 'dispatched');
    expect(app.github.dispatches.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      inputs: { environment: 'staging', sha: feature },
    });
    await finishRun(app, id);
  });

  it('never deploys a fork’s pull request, by ref or by SHA', async () => {
    const dispatches = app.github.dispatches.length;
    const bySha = await runDeploy(app, app.actors.deployer, 'api', 'staging', forkSha);
    expect(await refusalOf(bySha)).toMatch(
      new RegExp(
        `^Commit \`${forkSha.slice(0, 7)}\` is not on an allowed branch for api → staging \\(checked \`main\`, \`feature/login\`, \`release/1\\.x\`\\) and has not been deployed there before\\.`,
      ),
    );
    const byRef = await runDeploy(app, app.actors.deployer, 'api', 'staging', 'refs/pull/7/head');
    expect(await refusalOf(byRef)).toBe(
      'Pull request refs are never deployed: merge the pull request, then deploy its branch.',
    );
    expect(app.github.dispatches.length).toBe(dispatches);
    const entry = await waitFor('the audit entry', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ command: 'deploy', 'options.ref': 'refs/pull/7/head' }),
    );
    expect(entry).toMatchObject({ outcome: 'refused', code: 'DEPLOY.REF_NOT_ALLOWED' });
  });

  it('keeps a protected target to its allowed refs, which admins change and /service show lists', async () => {
    const refused = await runDeploy(app, app.actors.deployer, 'api', 'prod', 'release/1.x');
    expect(await refusalOf(refused)).toBe(
      'Branch `release/1.x` is not allowed for api → prod: allowed are `branch:main`, `tag:**` (an admin changes them with /service refs).',
    );
    const byDeployer = await app.discord.command('service', app.actors.deployer, {
      subcommand: 'refs',
      options: { name: 'api', env: 'prod', allow: 'branch:release/*' },
    });
    expect((await byDeployer.waitForReply()).content).toBe(
      'Only admins can change allowed refs in prod.',
    );
    const bad = await app.discord.command('service', app.actors.admin, {
      subcommand: 'refs',
      options: { name: 'api', env: 'prod', allow: 'release/*' },
    });
    expect((await bad.waitForReply()).content).toMatch(
      /^Invalid refs: "release\/\*" is not a pattern/,
    );
    const set = await app.discord.command('service', app.actors.admin, {
      subcommand: 'refs',
      options: { name: 'api', env: 'prod', allow: 'branch:main, branch:release/*' },
    });
    expect(messageText(await set.waitForReply())).toContain(
      'prod: `branch:main`, `branch:release/*`',
    );
    const show = await app.discord.command('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: 'api' },
    });
    const shown = messageText(await show.waitForReply());
    expect(shown).toContain('staging: `branch:**`, `tag:**` (default)');
    expect(shown).toContain('prod: `branch:main`, `branch:release/*`');
    expect(shown).toContain(
      'Run matching: GitHub names the run; otherwise the earliest unclaimed run',
    );

    const allowed = await runDeploy(app, app.actors.deployer, 'api', 'prod', 'release/1.x');
    const id = await deploymentIdOf(allowed);
    expect((await storedDeployment(app, id)).status).toBe('pending_approval');
    await app.discord.clickButton('Cancel', app.actors.deployer, allowed.reply()!.id);
    await waitForStatus(app, id, 'rejected');
  });

  it('shows the approver what would leave prod when the target is behind what runs there', async () => {
    const old = app.github.branchHead('acme', 'web', 'main');
    app.github.addCommit('acme', 'web', 'main', 'Add search', 'ada');
    app.github.addCommit('acme', 'web', 'main', 'Fix search', 'grace');
    const current = await runDeploy(app, app.actors.deployer, 'web', 'prod');
    const currentId = await deploymentIdOf(current);
    await app.discord.clickButton('Approve', app.actors.admin, current.reply()!.id);
    await waitForStatus(app, currentId, 'dispatched');
    await finishRun(app, currentId);

    const back = await runDeploy(app, app.actors.deployer, 'web', 'prod', old);
    await deploymentIdOf(back);
    const text = messageText(back.reply()!);
    expect(text).toContain('⚠️ **Rolls back 2 commits** now on prod.');
    expect(text).toContain('Removes: 2 commits deployed on prod now: [Full comparison]');
    expect(text).toContain('Add search (ada)');
    expect(text).toContain('Fix search (grace)');
    expect(text).toContain('Adds: No commits added.');
    await app.discord.clickButton('Cancel', app.actors.deployer, back.reply()!.id);
  });

  it('shows commit and author text from GitHub as text, never markup or mentions', async () => {
    const base = app.github.branchHead('acme', 'api', 'main');
    await seedService(app, { name: 'api2', repo: 'api', environments: ['prod'] });
    const deployed = await runDeploy(app, app.actors.deployer, 'api2', 'prod', base);
    const deployedId = await deploymentIdOf(deployed);
    await app.discord.clickButton('Approve', app.actors.admin, deployed.reply()!.id);
    await waitForStatus(app, deployedId, 'dispatched');
    await finishRun(app, deployedId);
    app.github.addCommit(
      'acme',
      'api',
      'main',
      '**pwned** @everyone <@123456789012345678> [click](https://evil.example)',
      null,
      {
        authorName: '<@&123456789012345678> _admin_',
      },
    );
    const request = await runDeploy(app, app.actors.deployer, 'api2', 'prod');
    await deploymentIdOf(request);
    const raw = rawText(request.reply()!);
    expect(raw).toContain(
      '\\*\\*pwned\\*\\* \\@everyone \\<\\@123456789012345678\\> \\[click\\](https://evil.example)',
    );
    expect(raw).toContain('(\\<\\@&123456789012345678\\> \\_admin\\_, unverified)');
    await app.discord.clickButton('Cancel', app.actors.deployer, request.reply()!.id);

    const lock = await app.discord.command('lock', app.actors.admin, {
      options: { service: 'api2', env: 'prod', reason: '@here __freeze__ <#1> # go' },
    });
    expect((await lock.waitForReply()).content).toBe(
      '🔒 api2 → prod is locked by alice-admin: \\@here \\_\\_freeze\\_\\_ \\<#1\\> # go',
    );
    const refused = await runDeploy(app, app.actors.deployer, 'api2', 'prod');
    expect(await refusalOf(refused)).toMatch(
      /locked by alice-admin since .*: @here __freeze__ <#1> # go$/,
    );

    // Every message the bot created or edited said who it may ping: nobody, unless named.
    const sent = app.discord.calls.filter(
      (call) =>
        ['POST', 'PATCH'].includes(call.method) &&
        /^\/(channels\/\d+\/messages|webhooks\/|interactions\/)/.test(call.path),
    );
    expect(sent.length).toBeGreaterThan(10);
    for (const call of sent) {
      const body = call.body as { data?: Record<string, unknown> } & Record<string, unknown>;
      const payload = call.path.startsWith('/interactions/') ? body.data : body;
      if (!payload || !('content' in payload || 'embeds' in payload)) continue;
      expect({ path: call.path, mentions: payload.allowed_mentions }).toEqual({
        path: call.path,
        mentions: expect.objectContaining({ parse: [] }),
      });
    }
  });
});

describe('run matching by deployment id', () => {
  it('takes only the run whose title carries the deployment id when GitHub does not name it', async () => {
    const app = await startAppWithFakes({
      env: { POLL_INTERVAL_MS: '200', DEPLOY_COOLDOWN_MS: '0' },
      arrange: ({ github }) => {
        github.addRepo('acme', 'api', {
          workflows: [
            {
              path: '.github/workflows/deploy.yml',
              name: 'Deploy',
              inputs: ['environment', 'sha', 'deployment_id'],
              runName:
                'Deploy ${{ inputs.sha }} to ${{ inputs.environment }} (${{ inputs.deployment_id }})',
            },
          ],
        });
      },
    });
    try {
      const { github } = app;
      await seedService(app, {
        name: 'api',
        environments: ['staging'],
        protectedEnvironments: [],
        idInput: 'deployment_id',
      });
      github.dispatchMode = 'no-content';
      github.createRunsOnDispatch = false;
      const handle = await runDeploy(app, app.actors.deployer, 'api', 'staging');
      const id = await deploymentIdOf(handle);
      await waitForStatus(app, id, 'dispatched');
      expect(github.dispatches[0].inputs).toMatchObject({ deployment_id: id });
      // Someone else's dispatch of the same workflow, created first: the time rule would take it.
      const workflowId = github.workflowId('acme', 'api');
      const sha = github.branchHead('acme', 'api', 'main');
      const decoy = github.createRun('acme', 'api', workflowId, 'main', sha, {
        environment: 'staging',
        sha,
        deployment_id: 'd-000000',
      });
      const ours = github.createRun('acme', 'api', workflowId, 'main', sha, {
        ...github.dispatches[0].inputs,
      });
      const found = await waitFor(
        'the run to be matched',
        async () => (await storedDeployment(app, id)).runId,
      );
      expect(found).toBe(ours.id);
      expect(found).not.toBe(decoy.id);
    } finally {
      await app.closeAll();
    }
  });
});

describe('GitHub budget per member', () => {
  it('charges every GitHub request to the member who caused it, and refuses before sending past the budget', async () => {
    const app = await startAppWithFakes({
      env: {
        POLL_INTERVAL_MS: '600000',
        DEPLOY_COOLDOWN_MS: '0',
        MEMBER_GITHUB_REQUESTS_PER_MINUTE: '3',
      },
      arrange: ({ github }) => void github.addRepo('acme', 'api'),
    });
    try {
      await seedService(app, { name: 'api', environments: ['staging', 'qa', 'dev'] });
      // A branch, then a tag of that name is asked for: two requests.
      const first = await runDeploy(app, app.actors.deployer, 'api', 'staging', 'no-such-1');
      expect(await refusalOf(first)).toContain('has no branch, tag or commit');
      const before = app.github.calls.length;
      // One request left: the branch is asked for, the tag no longer.
      const second = await runDeploy(app, app.actors.deployer, 'api', 'staging', 'no-such-2');
      expect(await refusalOf(second)).toMatch(
        /^You have used the 3 GitHub requests one member may cause in a minute; try again in \d+ s\.$/,
      );
      expect(app.github.calls.length).toBe(before + 1);
      const third = await runDeploy(app, app.actors.deployer, 'api', 'qa');
      expect(await refusalOf(third)).toMatch(/^You have used the 3 GitHub requests/);
      expect(app.github.calls.length).toBe(before + 1);
      // Someone else still deploys.
      const other = await runDeploy(app, app.actors.admin, 'api', 'dev');
      await waitForStatus(app, await deploymentIdOf(other), 'dispatched');
    } finally {
      await app.closeAll();
    }
  });
});
