import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../libs/clock';
import { FakeGithub } from '../../test/support/fake-github';
import { metricValue, testMetrics } from '../../test/support/metrics';
import { loadAppConfig } from '../config/app-config';
import { GithubClient } from './github.client';
import { installationTokenCache } from './octokit';

describe('GithubClient as a GitHub App', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let github: FakeGithub;

  beforeAll(async () => {
    github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    github.addRepo('acme', 'web');
    github.addRepo('globex', 'shop');
    github.addRepo('initech', 'tps');
    github.enableApp(4242, publicKey, {
      acme: 11,
      globex: 22,
      initech: { id: 33, permissions: { metadata: 'read', contents: 'read' } },
    });
  });
  afterAll(() => github.close());
  beforeEach(() => github.calls.splice(0));

  function appClient(env: Record<string, string> = {}) {
    const { metrics, registry } = testMetrics();
    const clock = new ManualClock(new Date());
    const config = loadAppConfig({
      DISCORD_TOKEN: 'x',
      CLIENT_ID: '123456789012345678',
      GUILD_ID: '123456789012345679',
      GITHUB_APP_ID: '4242',
      GITHUB_APP_PRIVATE_KEY: pem,
      GITHUB_API_URL: github.apiUrl,
      ...env,
    });
    return {
      client: new GithubClient(config, metrics, { retryAfterBaseValue: 0 }, clock),
      clock,
      registry,
    };
  }
  const routes = () => github.calls.map((call) => `${call.method} ${call.route} ${call.status}`);

  it("finds each owner's installation once and speaks with its token", async () => {
    const { client, registry } = appClient();
    await client.getRepository('acme', 'api');
    await client.getRepository('acme', 'web');
    await client.getRepository('globex', 'shop');
    expect(routes()).toEqual([
      'GET /repos/{owner}/{repo}/installation 200',
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
      'GET /repos/{owner}/{repo} 200',
      'GET /repos/{owner}/{repo}/installation 200',
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
    ]);
    const tokens = [...github.installationTokens.values()].map((token) => token.installationId);
    expect(tokens.slice(-2)).toEqual([11, 22]);
    // The same request counter as with a token.
    const labels = { route: '/repos/{owner}/{repo}', status: '200' };
    expect(await metricValue(registry, 'chatops_github_requests_total', labels)).toBe(3);
  });

  it('renews a token before it expires, and replaces one GitHub no longer accepts', async () => {
    const { client, clock } = appClient();
    await client.getRepository('acme', 'api');
    github.expireInstallationTokens();
    await client.getRepository('acme', 'api');
    clock.advance(56 * 60_000);
    await client.getRepository('acme', 'api');
    // auth-app itself asks again for a few seconds when a token under 5 s old is refused (GitHub
    // may not have replicated it yet): those repeats are one step here.
    const steps = routes().filter((route, i, all) => route !== all[i - 1]);
    expect(steps).toEqual([
      'GET /repos/{owner}/{repo}/installation 200',
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
      // Rejected (revoked, or expired early): a new token, and the request once more.
      'GET  401',
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
      // Less than five minutes of the hour left: a new token first.
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
    ]);
  });

  it('uses GITHUB_APP_INSTALLATION_ID without looking installations up', async () => {
    const { client } = appClient({ GITHUB_APP_INSTALLATION_ID: '11' });
    await client.getRepository('acme', 'api');
    expect(routes()).toEqual([
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo} 200',
    ]);
  });

  it('says where the App is missing or what it may not do, and asks again later', async () => {
    const { client } = appClient();
    await expect(client.getRepository('hooli', 'nucleus')).rejects.toMatchObject({
      code: 'GITHUB.APP_NOT_INSTALLED',
      message:
        'The GitHub App is not installed on hooli, or cannot see hooli/nucleus: install it on hooli and give it that repository.',
    });
    github.addRepo('hooli', 'nucleus');
    github.enableApp(4242, publicKey, { acme: 11, hooli: 44 });
    await expect(client.getRepository('hooli', 'nucleus')).resolves.toMatchObject({
      fullName: 'hooli/nucleus',
    });
    github.enableApp(4242, publicKey, {
      initech: { id: 33, permissions: { metadata: 'read', contents: 'read' } },
    });
    await expect(client.cancelRun('initech', 'tps', 1)).rejects.toMatchObject({
      code: 'GITHUB.FORBIDDEN',
      message: expect.stringContaining(
        'The GitHub App lacks a permission for run 1 in initech/tps',
      ),
    });
  });

  it('reports a key GitHub does not accept', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const { client } = appClient({
      GITHUB_APP_PRIVATE_KEY: other.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await expect(client.getRepository('acme', 'api')).rejects.toMatchObject({
      code: 'GITHUB.BAD_CREDENTIALS',
      message: 'GitHub rejected the GitHub App (401). Check GITHUB_APP_ID and its private key.',
    });
    // The same refusal when creating an installation token: an answer, never a hang.
    const { client: direct } = appClient({
      GITHUB_APP_PRIVATE_KEY: other.export({ type: 'pkcs8', format: 'pem' }).toString(),
      GITHUB_APP_INSTALLATION_ID: '11',
    });
    await expect(direct.getRepository('acme', 'api')).rejects.toMatchObject({
      code: 'GITHUB.BAD_CREDENTIALS',
    });
    await expect(direct.getRepository('acme', 'api')).rejects.toMatchObject({
      code: 'GITHUB.BAD_CREDENTIALS',
    });
  });
});

describe("the App's token cache", () => {
  it("keeps a token until five minutes before GitHub's expires_at (auth-app's format)", () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const cache = installationTokenCache(clock);
    cache.set('11', 'ghs_x|2026-01-01T00:00:00Z|2026-01-01T01:00:00Z|all|actions!,contents|');
    expect(cache.get('11')).toMatch(/^ghs_x\|/);
    clock.advance(55 * 60_000 - 1);
    expect(cache.get('11')).toMatch(/^ghs_x\|/);
    clock.advance(1);
    expect(cache.get('11')).toBeUndefined();
    cache.set('12', 'unexpected');
    expect(cache.get('12')).toBeUndefined();
  });
});
