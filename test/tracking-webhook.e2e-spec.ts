import { sendWebhook } from './support/fake-github';
import {
  deploy,
  finishRun,
  metricsOf,
  newService,
  runOf,
  runWebhook,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './support/test-app';

describe('tracking a run by its workflow_run webhooks', () => {
  let app: TestApp;

  beforeAll(async () => {
    // Webhooks only: the poller stays out of the way.
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  it('moves the deployment along with its run, and the message with it', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const runId = await runOf(app, id);
    app.github.setRunStatus(runId, 'in_progress');
    expect(JSON.parse((await runWebhook(app, runId)).body)).toEqual({ status: 'accepted' });
    await waitForStatus(app, id, 'in_progress');
    await waitForMessageText(app, interaction, 'In progress');
    await finishRun(app, id, 'failure');
    await waitForMessageText(app, interaction, /Failed in \d+s/);
  });

  it('recognises a redelivery, never moves backwards, and ignores runs it does not know', async () => {
    const service = await newService(app);
    const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatched');
    const runId = await runOf(app, id);
    const duplicatesBefore = countOf(await metricsOf(app), 'duplicate');

    app.github.setRunStatus(runId, 'completed', 'success');
    const deliveryId = `delivery-${id}`;
    expect(JSON.parse((await runWebhook(app, runId, { deliveryId })).body)).toEqual({
      status: 'accepted',
    });
    expect(JSON.parse((await runWebhook(app, runId, { deliveryId })).body)).toEqual({
      status: 'duplicate',
    });

    const late = {
      ...app.github.runPayload(app.github.runs.get(runId)!),
      status: 'in_progress',
      conclusion: null,
    };
    const stale = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'in_progress',
      workflow_run: late,
    });
    expect(stale.status).toBe(200);
    const stored = await storedDeployment(app, id);
    expect(stored.status).toBe('success');
    expect((stored.transitions as unknown[]).length).toBe(3);

    const unknown = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: { ...late, id: 123456789 },
    });
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toEqual({ status: 'ignored' });
    expect(countOf(await metricsOf(app), 'duplicate')).toBe(duplicatesBefore + 1);
  });

  it('refuses a signed delivery that is not a run with 400', async () => {
    const before = countOf(await metricsOf(app), 'malformed');
    const malformed = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', {
      action: 'completed',
      workflow_run: { id: 'x' },
    });
    expect(malformed.status).toBe(400);
    expect(countOf(await metricsOf(app), 'malformed')).toBe(before + 1);
  });
});

function countOf(metrics: string, outcome: string): number {
  const line = new RegExp(
    `chatops_webhook_deliveries_total\\{event="workflow_run",outcome="${outcome}"\\} (\\d+)`,
  ).exec(metrics);
  return line ? Number(line[1]) : 0;
}
