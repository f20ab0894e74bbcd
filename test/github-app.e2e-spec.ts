import { generateKeyPairSync } from 'node:crypto';
import { deploy, finishRun, metricsOf, waitForStatus } from './support/deploys';
import { startAppWithFakes, TestApp } from './support/test-app';

/** The bot as a GitHub App: installation tokens per owner, found, used and renewed on its own. */
describe('a GitHub App identity', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        GITHUB_TOKEN: '',
        GITHUB_APP_ID: '90210',
        // As an operator pastes it into .env: one line, newlines written as \n.
        GITHUB_APP_PRIVATE_KEY: privateKey
          .export({ type: 'pkcs1', format: 'pem' })
          .toString()
          .trim()
          .replace(/\n/g, '\\n'),
        DEPLOY_COOLDOWN_MS: '0',
      },
      arrange: ({ github }) => {
        github.addRepo('acme', 'app-api');
        github.addRepo('globex', 'app-shop');
        github.enableApp(90210, publicKey, { acme: 501, globex: 502 });
      },
    });
  });
  afterAll(() => app?.closeAll());

  const tokenRequests = () =>
    app.github.calls.filter((call) => call.route.endsWith('/access_tokens')).length;

  it('adds services and deploys through each owner’s installation, renewing expired tokens', async () => {
    const { discord, github, actors } = app;
    for (const [name, owner, repo] of [
      ['app-api', 'acme', 'app-api'],
      ['app-shop', 'globex', 'app-shop'],
    ]) {
      const added = await discord.command('service', actors.admin, {
        subcommand: 'add',
        options: { name, owner, repo },
      });
      await added.waitForReply();
      expect(added.replyText()).toContain(`Service ${name} added`);
    }
    const lookups = github.calls.filter((call) => call.route.endsWith('/installation'));
    expect(lookups.map((call) => call.path)).toEqual([
      '/repos/acme/app-api/installation',
      '/repos/globex/app-shop/installation',
    ]);
    // Every other request carried an installation token, never the personal one.
    expect(github.calls.every((call) => call.status !== 401)).toBe(true);

    const first = await deploy(app, actors.deployer, 'app-api', 'staging');
    await waitForStatus(app, first.id, 'dispatched');
    expect(github.dispatches.at(-1)).toMatchObject({ owner: 'acme', repo: 'app-api' });
    await finishRun(app, first.id);
    const tokensBefore = tokenRequests();

    // An hour later GitHub's token has expired: a new one is made before the next request.
    app.clock.advance(60 * 60_000);
    const second = await deploy(app, actors.deployer, 'app-api', 'staging');
    await waitForStatus(app, second.id, 'dispatched');
    await finishRun(app, second.id);
    expect(tokenRequests()).toBe(tokensBefore + 1);

    // A token GitHub stops accepting early (revoked) is replaced, and the request goes through.
    github.expireInstallationTokens();
    const third = await deploy(app, actors.deployer, 'app-shop', 'staging');
    await waitForStatus(app, third.id, 'dispatched');
    expect(github.dispatches.at(-1)).toMatchObject({ owner: 'globex', repo: 'app-shop' });
    await finishRun(app, third.id);
    expect(await metricsOf(app)).toMatch(
      /chatops_github_requests_total\{route="\/repos\/\{owner\}\/\{repo\}\/actions\/workflows\/\{workflow_id\}\/dispatches",status="200"\} 3/,
    );
  });

  it('names the owner the App is missing from', async () => {
    app.github.addRepo('hooli', 'nucleus');
    const added = await app.discord.command('service', app.actors.admin, {
      subcommand: 'add',
      options: { name: 'nucleus', owner: 'hooli', repo: 'nucleus' },
    });
    await added.waitForReply();
    expect(added.replyText()).toContain(
      'The GitHub App is not installed on hooli, or cannot see hooli/nucleus: install it on hooli and give it that repository.',
    );
  });
});
