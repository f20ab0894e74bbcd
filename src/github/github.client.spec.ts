import { AddressInfo, createServer } from 'node:net';
import { FakeGithub } from '../../test/support/fake-github';
import { metricValue, testMetrics } from '../../test/support/metrics';
import { loadAppConfig } from '../config/app-config';
import { GithubClient } from './github.client';
import { USER_AGENT } from './octokit';
import { GithubError } from './github.errors';

describe('GithubClient against the loopback GitHub', () => {
  let github: FakeGithub;

  beforeAll(async () => {
    github = await FakeGithub.start();
    github.addRepo('acme', 'api', { defaultBranch: 'trunk' });
  });
  afterAll(() => github.close());
  beforeEach(() => github.calls.splice(0));

  function client(token = github.token, env: Record<string, string> = {}) {
    const { metrics, registry } = testMetrics();
    const config = loadAppConfig({
      DISCORD_TOKEN: 'x',
      CLIENT_ID: '123456789012345678',
      GUILD_ID: '123456789012345679',
      GITHUB_TOKEN: token,
      GITHUB_API_URL: github.apiUrl,
      ...env,
    });
    return { client: new GithubClient(config, metrics, { retryAfterBaseValue: 0 }), registry };
  }

  it('reads a repository on GITHUB_API_URL with its user agent, and counts the request', async () => {
    const { client: gh, registry } = client();
    await expect(gh.getRepository('acme', 'api')).resolves.toEqual({
      fullName: 'acme/api',
      defaultBranch: 'trunk',
    });
    expect(github.calls).toHaveLength(1);
    const labels = { route: '/repos/{owner}/{repo}', status: '200' };
    expect(await metricValue(registry, 'chatops_github_requests_total', labels)).toBe(1);
  });

  it('sends its user agent', async () => {
    const seen: string[] = [];
    const original = fetch;
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      seen.push(String(new Headers(init?.headers).get('user-agent')));
      return original(input, init);
    });
    try {
      await client().client.getRepository('acme', 'api');
    } finally {
      spy.mockRestore();
    }
    expect(seen[0]).toContain(USER_AGENT);
  });

  it('retries a server error and counts every attempt', async () => {
    const { client: gh, registry } = client();
    github.failNext(/^\/repos\/acme\/api$/, 502, 'bad gateway');
    await expect(gh.getRepository('acme', 'api')).resolves.toMatchObject({
      defaultBranch: 'trunk',
    });
    expect(github.calls.map((call) => call.status)).toEqual([502, 200]);
    expect(
      await metricValue(registry, 'chatops_github_requests_total', {
        route: '/repos/{owner}/{repo}',
        status: '502',
      }),
    ).toBe(1);
    expect(
      await metricValue(registry, 'chatops_github_requests_total', {
        route: '/repos/{owner}/{repo}',
        status: '200',
      }),
    ).toBe(1);
  });

  it('never sends a write again after an unclear answer: a 502 to a status post is one POST', async () => {
    const { client: gh } = client();
    github.loseNextAnswer(/\/deployments\/\d+\/statuses$/);
    const deployment = await gh.createDeployment({
      owner: 'acme',
      repo: 'api',
      sha: github.branchHead('acme', 'api', 'trunk'),
      environment: 'staging',
      production: false,
      description: 'test',
      payload: {},
    });
    await expect(
      gh.createDeploymentStatus({
        owner: 'acme',
        repo: 'api',
        deploymentId: deployment,
        state: 'queued',
        description: 'queued',
      }),
    ).rejects.toBeInstanceOf(GithubError);
    expect(github.calls.filter((call) => call.path.endsWith('/statuses'))).toHaveLength(1);
  });

  it('abandons a request GitHub never answers after GITHUB_REQUEST_TIMEOUT_MS', async () => {
    const { client: gh } = client(github.token, { GITHUB_REQUEST_TIMEOUT_MS: '1000' });
    github.silenceNext(/\/actions\/workflows\/deploy\.yml\/dispatches$/, 'hang');
    const sent = gh.dispatchWorkflow({
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      ref: 'trunk',
      inputs: {},
    });
    await expect(sent).rejects.toMatchObject({ code: 'GITHUB.OUTCOME_UNKNOWN' });
    await expect(sent).rejects.toThrow(
      "GitHub's answer to the dispatch of workflow deploy.yml in acme/api was lost (no answer in time): it may have started a run",
    );
    expect(github.calls.filter((call) => call.path.endsWith('/dispatches'))).toHaveLength(1);
    // GitHub did take it.
    expect(github.dispatches.at(-1)).toMatchObject({ repo: 'api', workflow: 'deploy.yml' });
  });

  it('never sends a dispatch whose signal aborted while it waited (its lease may be lost)', async () => {
    const { client: gh } = client();
    const fence = new AbortController();
    fence.abort(new Error('lease lost'));
    const sent = gh.dispatchWorkflow({
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      ref: 'trunk',
      inputs: {},
      signal: fence.signal,
    });
    // Unknown to the caller (an abort on the way would be), so it looks for a run: none.
    await expect(sent).rejects.toMatchObject({ code: 'GITHUB.OUTCOME_UNKNOWN' });
    expect(github.calls.filter((call) => call.path.endsWith('/dispatches'))).toHaveLength(0);
  });

  it('takes a connection that was never made for a refusal: nothing reached GitHub', async () => {
    // A port nothing listens on.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const closed = loadAppConfig({
      DISCORD_TOKEN: 'x',
      CLIENT_ID: '123456789012345678',
      GUILD_ID: '123456789012345679',
      GITHUB_TOKEN: github.token,
      GITHUB_API_URL: `http://127.0.0.1:${port}`,
    });
    const unreachable = new GithubClient(closed, testMetrics().metrics, { retryAfterBaseValue: 0 });
    await expect(
      unreachable.dispatchWorkflow({
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        ref: 'trunk',
        inputs: {},
      }),
    ).rejects.toMatchObject({ code: 'GITHUB.UNREACHABLE' });
  });

  it('says in plain words what went wrong', async () => {
    await expect(client().client.getRepository('acme', 'missing')).rejects.toMatchObject({
      code: 'GITHUB.NOT_FOUND',
      message: 'GitHub could not find repository acme/missing, or the token cannot see it.',
    });
    const badToken = client('wrong-token').client.getRepository('acme', 'api');
    await expect(badToken).rejects.toBeInstanceOf(GithubError);
    await expect(badToken).rejects.toMatchObject({ code: 'GITHUB.BAD_CREDENTIALS' });
    expect(github.calls.filter((call) => call.status === 401)).toHaveLength(1);
  });

  it('reads a list conditionally only when it fits in one page: a 304 of page 1 says nothing of page 2', async () => {
    const { client: gh } = client();
    github.addRepo('acme', 'many-checks', { ci: false });
    const sha = github.addCommit('acme', 'many-checks', 'main', 'Many checks');
    for (let i = 0; i < 150; i++)
      github.addCheckRun('acme', 'many-checks', sha, `check-${i}`, 'completed', 'success');
    github.setCommitStatus('acme', 'many-checks', sha, 'ci/e2e', 'success');
    const first = await gh.readCommitChecks('acme', 'many-checks', sha);
    expect(first.runs).toMatchObject({ unread: 0, etag: undefined });
    expect(first.runs !== 'unchanged' && first.runs.items).toHaveLength(150);
    expect(first.statuses).toMatchObject({ unread: 0, etag: expect.any(String) });
    github.calls.splice(0);
    const etags = {
      runs: first.runs !== 'unchanged' ? first.runs.etag : undefined,
      statuses: first.statuses !== 'unchanged' ? first.statuses.etag : undefined,
    };
    const again = await gh.readCommitChecks('acme', 'many-checks', sha, etags);
    expect(again.statuses).toBe('unchanged');
    expect(again.runs !== 'unchanged' && again.runs.items).toHaveLength(150);
    expect(github.calls.map((call) => call.status)).toEqual([200, 200, 304]);
  });
});
