import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import {
  deploymentIdOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import { sendWebhook } from './support/fake-github';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';
import { HttpSurface } from '../src/http/http-surface';
import { MAX_BODIES_IN_FLIGHT } from '../src/github/webhook/webhook.ingress';

/** A webhook POST whose body the test writes itself, as slowly or as partly as it likes. */
function openUpload(
  url: string,
  headers: Record<string, string | number>,
): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const target = new URL(`${url}/webhook/github`);
  const req = httpRequest({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_run', ...headers },
  });
  req.on('error', () => undefined);
  const response = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
  req.flushHeaders();
  return { req, response };
}

const metricsText = async (app: TestApp) => (await fetch(`${app.url}/metrics`)).text();

describe('the webhook endpoint against strangers', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      // Every upload here comes from 127.0.0.1: the whole cap is open to it, as behind a proxy.
      env: {
        POLL_INTERVAL_MS: '600000',
        DEPLOY_COOLDOWN_MS: '0',
        WEBHOOK_MAX_BODIES_PER_ADDRESS: String(MAX_BODIES_IN_FLIGHT),
      },
      arrange: ({ github }) => void github.addRepo('acme', 'api'),
    });
    await seedService(app, { name: 'api', environments: ['staging', 'qa'] });
  });
  afterAll(() => app?.closeAll());

  it('keeps metric series bounded whatever X-GitHub-Event says', async () => {
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          sendWebhook(app.url, undefined, `event-${batch}-${i}-${'x'.repeat(40)}`, {}),
        ),
      );
    }
    const series = (await metricsText(app))
      .split('\n')
      .filter((line) => line.startsWith('chatops_webhook_deliveries_total{'));
    const events = new Set(series.map((line) => /event="([^"]*)"/.exec(line)![1]));
    expect(
      [...events].every((event) =>
        ['workflow_run', 'workflow_job', 'ping', 'other'].includes(event),
      ),
    ).toBe(true);
    expect(series.join('\n')).toMatch(
      /chatops_webhook_deliveries_total\{event="other",outcome="bad_signature"\} 3000/,
    );
  });

  it('answers 413 to a body declared over 1 MiB without reading it', async () => {
    const upload = openUpload(app.url, { 'content-length': 5 * 1024 * 1024 });
    upload.req.write(Buffer.alloc(1024));
    // Only the headers and one kilobyte were sent: the answer comes without the rest.
    const response = await upload.response;
    expect(response.statusCode).toBe(413);
    expect(response.headers.connection).toBe('close');
    upload.req.destroy();
  });

  it('stops reading an undeclared body once it passes 1 MiB', async () => {
    const upload = openUpload(app.url, { 'transfer-encoding': 'chunked' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    let answered = false;
    void upload.response.then(() => (answered = true));
    while (!answered && written < 4 * 1024 * 1024) {
      upload.req.write(chunk);
      written += chunk.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await upload.response).statusCode).toBe(413);
    upload.req.destroy();
  });

  it('answers a valid delivery while slow uploads hang, and refuses uploads past the cap', async () => {
    const deploy = await runDeploy(app, app.actors.deployer, 'api', 'staging');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    const slow = Array.from({ length: MAX_BODIES_IN_FLIGHT - 1 }, () => {
      const upload = openUpload(app.url, { 'content-length': 1000 });
      upload.req.write('{');
      return upload;
    });
    try {
      // Every slow upload is being read before the valid delivery is sent.
      await waitFor(
        'the slow uploads to be accepted',
        async () =>
          /chatops_webhook_bodies_in_flight (\d+)/.exec(await metricsText(app))?.[1] ===
          String(MAX_BODIES_IN_FLIGHT - 1),
      );
      const runId = (await storedDeployment(app, id)).runId as number;
      app.github.setRunStatus(runId, 'in_progress');
      const valid = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
        action: 'in_progress',
        workflow_run: app.github.runPayload(app.github.runs.get(runId)!),
      });
      expect(valid).toEqual({ status: 200, body: '{"status":"accepted"}' });
      expect((await storedDeployment(app, id)).status).toBe('in_progress');

      const held = openUpload(app.url, { 'content-length': 1000 });
      held.req.write('{');
      await waitFor(
        'the cap to be reached',
        async () =>
          /chatops_webhook_bodies_in_flight (\d+)/.exec(await metricsText(app))?.[1] ===
          String(MAX_BODIES_IN_FLIGHT),
      );
      const beyond = openUpload(app.url, { 'content-length': 1000 });
      expect((await beyond.response).statusCode).toBe(503);
      slow.push(held, beyond);
    } finally {
      for (const upload of slow) upload.req.destroy();
    }
    await waitFor('the slow uploads to be let go', async () =>
      /chatops_webhook_bodies_in_flight 0/.test(await metricsText(app)),
    );
  });

  it('counts a signed delivery only when its repository and workflow are the deployment’s', async () => {
    const deploy = await runDeploy(app, app.actors.admin, 'api', 'qa');
    const id = await deploymentIdOf(deploy);
    await waitForStatus(app, id, 'dispatched');
    const run = app.github.runs.get((await storedDeployment(app, id)).runId as number)!;
    const completed = { ...app.github.runPayload(run), status: 'completed', conclusion: 'success' };
    const mismatches: Array<Record<string, unknown>> = [
      { ...completed, repository: { full_name: 'someone/else' } },
      { ...completed, workflow_id: 1, path: '.github/workflows/other.yml' },
    ];
    for (const workflow_run of mismatches) {
      const answer = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
        action: 'completed',
        workflow_run,
        repository: workflow_run.repository,
      });
      expect(answer).toEqual({ status: 200, body: '{"status":"ignored"}' });
    }
    expect((await storedDeployment(app, id)).status).toBe('dispatched');
    app.github.setRunStatus(run.id, 'completed', 'success');
    await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: app.github.runPayload(run),
    });
    await waitForStatus(app, id, 'success');
  });
});

describe('slow uploads from one address', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { WEBHOOK_MAX_BODIES_PER_ADDRESS: '16' } });
  });
  afterAll(() => app?.closeAll());

  it('hold at most their address’s share of the slots, and each is cut once it trickles', async () => {
    const uploads = Array.from({ length: 100 }, () => {
      const upload = openUpload(app.url, { 'content-length': 100_000 });
      upload.req.write('{');
      return upload;
    });
    try {
      const answers = await Promise.all(uploads.map((upload) => upload.response));
      const statuses = answers.map((answer) => answer.statusCode);
      // 16 were read (and cut for arriving too slowly); the other 84 were refused at once.
      expect(statuses.filter((status) => status === 503)).toHaveLength(84);
      expect(statuses.filter((status) => status === 408)).toHaveLength(16);
    } finally {
      for (const upload of uploads) upload.req.destroy();
    }
    expect(await metricsText(app)).toMatch(
      /chatops_webhook_deliveries_total\{event="workflow_run",outcome="timeout"\} 16/,
    );
    // A delivery from the same address goes through once they are gone.
    await waitFor('the slots to be free', async () =>
      /chatops_webhook_bodies_in_flight 0/.test(await metricsText(app)),
    );
    expect((await sendWebhook(app.url, WEBHOOK_SECRET, 'ping', { zen: 'hi' })).status).toBe(200);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics and /health only there, and the webhook alone on the main port', async () => {
    const app = await startAppWithFakes({
      env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' },
    });
    try {
      const port = app.app.get(HttpSurface).operationsAddress()!.port;
      const operations = `http://127.0.0.1:${port}`;
      for (const path of ['/metrics', '/health', '/health/ready', '/health/live']) {
        expect({ path, main: (await fetch(`${app.url}${path}`)).status }).toEqual({
          path,
          main: 404,
        });
        expect({ path, ops: (await fetch(`${operations}${path}`)).status }).toEqual({
          path,
          ops: 200,
        });
      }
      expect((await sendWebhook(app.url, WEBHOOK_SECRET, 'ping', { zen: 'hi' })).status).toBe(200);
      expect((await sendWebhook(operations, WEBHOOK_SECRET, 'ping', { zen: 'hi' })).status).toBe(
        404,
      );
    } finally {
      await app.closeAll();
    }
  });
});
