import { recordInFlight } from './support/deploys';
import { FakeDiscord } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { appConnection } from './support/mongo';
import { startFakeDiscord, startTestApp, TestApp, testEnvironment } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('/service', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let app: TestApp;
  const services = () => appConnection(app.app).collection('services');
  const audit = () => appConnection(app.app).collection('audit');

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    github.addRepo('acme', 'api', { defaultBranch: 'main' });
    github.addRepo('acme', 'web', { defaultBranch: 'trunk', workflows: ['release.yaml'] });
    app = await startTestApp(discord, github);
  });
  afterAll(() => app?.closeAll());

  const add = (actor = app.actors.admin, options: Record<string, string> = {}) =>
    discord.command('service', actor, {
      subcommand: 'add',
      options: { name: 'api', owner: 'acme', repo: 'api', ...options },
    });

  it('lets an admin add, list, show and remove a service', async () => {
    const added = await add();
    const reply = await added.waitForReply();
    expect(added.replyText()).toContain('Service api added');
    expect(added.replyText()).toContain('Protected: prod');
    expect(reply.flags & 64).toBe(64);
    expect(
      await services().findOne({ name: 'api' }, { projection: { _id: 0, addedAt: 0 } }),
    ).toEqual({
      name: 'api',
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      environments: ['staging', 'prod'],
      protectedEnvironments: ['prod'],
      defaultRef: 'main',
      environmentInput: 'environment',
      shaInput: 'sha',
      addedBy: { id: app.actors.admin.user.id, name: 'alice-admin' },
    });

    const list = await discord.command('service', app.actors.viewer, { subcommand: 'list' });
    await list.waitForReply();
    expect(list.replyText()).toContain(
      '**api**: acme/api · `deploy.yml` · staging, prod (protected)',
    );

    const show = await discord.command('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: 'api' },
    });
    await show.waitForReply();
    expect(show.replyText()).toContain('Repository: acme/api');
    expect(show.replyText()).toContain('Default ref: `main`');

    const removed = await discord.command('service', app.actors.admin, {
      subcommand: 'remove',
      options: { name: 'api' },
    });
    await removed.waitForReply();
    expect(removed.replyText()).toBe('Service **api** removed. Its deployment history is kept.');
    expect(await services().countDocuments({ name: 'api' })).toBe(0);
  });

  it('takes every optional field, and reads the default branch from GitHub', async () => {
    const added = await add(app.actors.admin, {
      name: 'web',
      repo: 'web',
      workflow: 'release.yaml',
      envs: 'dev, staging, production',
      protected: 'staging, production',
      'env-input': 'target',
      'sha-input': 'commit',
    });
    await added.waitForReply();
    expect(await services().findOne({ name: 'web' })).toMatchObject({
      workflow: 'release.yaml',
      environments: ['dev', 'staging', 'production'],
      protectedEnvironments: ['staging', 'production'],
      defaultRef: 'trunk',
      environmentInput: 'target',
      shaInput: 'commit',
    });
  });

  it('refuses a name that exists, and never overwrites it', async () => {
    await (await add(app.actors.admin, { name: 'dup' })).waitForReply();
    const again = await add(app.actors.admin, {
      name: 'dup',
      repo: 'web',
      workflow: 'release.yaml',
    });
    await again.waitForReply();
    expect(again.replyText()).toBe(
      'A service named "dup" already exists; remove it first to replace it.',
    );
    expect(await services().findOne({ name: 'dup' })).toMatchObject({ repo: 'api' });
  });

  it.each([
    ['deployer', 'deployer'],
    ['viewer', 'viewer'],
  ] as const)("refuses a %s's /service add and audits the refusal", async (_label, who) => {
    const attempt = await add(app.actors[who], { name: `by-${who}` });
    await attempt.waitForReply();
    expect(attempt.replyText()).toBe('Only admins can add services.');
    expect(attempt.ephemeral).toBe(true);
    expect(await services().countDocuments({ name: `by-${who}` })).toBe(0);
    const entry = await waitFor('the audit entry', () =>
      audit().findOne({ 'actor.id': app.actors[who].user.id, command: 'service add' }),
    );
    expect(entry).toMatchObject({
      outcome: 'refused',
      code: 'ACCESS.DENIED',
      options: { name: `by-${who}` },
    });
  });

  it.each([
    [{ name: 'API!' }, 'Invalid name: lowercase letters, digits'],
    [{ owner: '-acme' }, 'Invalid owner: a GitHub user or organisation name.'],
    [{ repo: 'a/b' }, 'Invalid repo: a GitHub repository name'],
    [
      { workflow: 'deploy.txt' },
      'Invalid workflow: a workflow file name ending in .yml or .yaml, or its numeric id.',
    ],
    [{ envs: 'staging, Prod Env' }, 'Invalid envs: "prod env" is not an environment name'],
    [{ protected: 'qa' }, 'Invalid protected: qa is not among the environments (staging, prod).'],
    [{ ref: 'bad..ref' }, 'Invalid ref: a branch, tag or commit SHA.'],
    [{ 'sha-input': 'environment' }, 'Invalid sha-input: it must differ from env-input.'],
  ])('refuses malformed input %j, naming the field, writing nothing', async (options, message) => {
    const before = await services().countDocuments();
    const githubCalls = github.calls.length;
    const attempt = await add(app.actors.admin, { name: 'bad-input', ...options });
    await attempt.waitForReply();
    expect(attempt.replyText()).toContain(message);
    expect(await services().countDocuments()).toBe(before);
    expect(github.calls.length).toBe(githubCalls);
  });

  it.each([
    [
      { repo: 'missing' },
      (): void => undefined,
      'GitHub could not find repository acme/missing, or the token cannot see it.',
    ],
    [
      { workflow: 'nope.yml' },
      (): void => undefined,
      'GitHub could not find workflow nope.yml in acme/api, or the token cannot see it.',
    ],
    [
      { ref: 'no-such-branch' },
      (): void => undefined,
      'Invalid ref: acme/api has no branch "no-such-branch".',
    ],
    [
      {},
      (): void => github.failNext(/^\/repos\/acme\/api$/, 401, 'Bad credentials'),
      'GitHub rejected the bot token (401). Check GITHUB_TOKEN.',
    ],
    [
      {},
      (): void => github.rateLimitNext(/^\/repos\/acme\/api$/),
      'GitHub rate limit reached; try again in a few minutes.',
    ],
  ])('explains GitHub problems in plain words (%j)', async (options, arrange, message) => {
    arrange();
    const attempt = await add(app.actors.admin, { name: 'gh-problem', ...options });
    await attempt.waitForReply();
    expect(attempt.replyText()).toBe(message);
    expect(await services().countDocuments({ name: 'gh-problem' })).toBe(0);
  });

  it('refuses to remove a service with a deployment in flight', async () => {
    await (await add(app.actors.admin, { name: 'busy' })).waitForReply();
    const id = await recordInFlight(app, {
      service: 'busy',
      environment: 'staging',
      sha: 'a'.repeat(40),
    });
    const attempt = await discord.command('service', app.actors.admin, {
      subcommand: 'remove',
      options: { name: 'busy' },
    });
    await attempt.waitForReply();
    expect(attempt.replyText()).toBe(
      `busy cannot be removed: deployment ${id} to staging is dispatching.`,
    );
    expect(await services().countDocuments({ name: 'busy' })).toBe(1);
  });

  it('refuses unknown services and non-admin removals', async () => {
    const unknown = await discord.command('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: 'ghost' },
    });
    await unknown.waitForReply();
    expect(unknown.replyText()).toBe(
      'Unknown service "ghost". `/service list` shows the registered ones.',
    );
    const byDeployer = await discord.command('service', app.actors.deployer, {
      subcommand: 'remove',
      options: { name: 'dup' },
    });
    await byDeployer.waitForReply();
    expect(byDeployer.replyText()).toBe('Only admins can remove services.');
    expect(await services().countDocuments({ name: 'dup' })).toBe(1);
  });

  it('autocompletes service names and their environments', async () => {
    await (await add(app.actors.admin, { name: 'apex', envs: 'qa, prod' })).waitForReply();
    const names = await discord.autocomplete('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: 'ap' },
      focused: 'name',
    });
    expect(names.map((choice) => choice.value)).toEqual(['apex']);
  });

  it('counts and times every command', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/chatops_commands_total\{command="service add",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/chatops_commands_total\{command="service add",outcome="refused"\} [1-9]/);
    expect(text).toMatch(/chatops_command_duration_seconds_count\{command="service list"\} 1/);
  });
});

describe('the GITHUB_OWNER/GITHUB_REPO bootstrap', () => {
  it('registers the repository once, across restarts', async () => {
    const discord = await startFakeDiscord();
    const github = await FakeGithub.start();
    github.addRepo('acme', 'Platform-API');
    const env = testEnvironment(discord, github, {
      GITHUB_OWNER: 'acme',
      GITHUB_REPO: 'Platform-API',
    });
    try {
      for (let start = 0; start < 2; start++) {
        const app = await startTestApp(discord, github, env);
        const found = await appConnection(app.app).collection('services').find({}).toArray();
        await app.close();
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({
          name: 'platform-api',
          owner: 'acme',
          repo: 'Platform-API',
          defaultRef: 'main',
        });
      }
    } finally {
      await discord.close();
      await github.close();
    }
  });
});
