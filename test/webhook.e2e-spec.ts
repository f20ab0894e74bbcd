import { sendWebhook } from './support/fake-github';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './support/test-app';

describe('POST /webhook/github', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes();
  });
  afterAll(() => app?.closeAll());

  const metrics = async () => (await fetch(`${app.url}/metrics`)).text();

  it('refuses a missing or wrong signature with 401', async () => {
    const unsigned = await sendWebhook(app.url, undefined, 'workflow_run', { action: 'completed' });
    expect(unsigned.status).toBe(401);
    const wrong = await sendWebhook(app.url, 'not-the-secret', 'workflow_run', {
      action: 'completed',
    });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toEqual({
      error: { code: 'WEBHOOK.BAD_SIGNATURE', message: 'Missing or invalid X-Hub-Signature-256.' },
    });
    expect(await metrics()).toMatch(
      /chatops_webhook_deliveries_total\{event="workflow_run",outcome="bad_signature"\} 2/,
    );
  });

  it('checks the signature before parsing: malformed JSON is 401 unsigned, 400 signed', async () => {
    const rawBody = '{"action": "completed",';
    expect(
      (await sendWebhook(app.url, 'wrong', 'workflow_run', undefined, { rawBody })).status,
    ).toBe(401);
    const signed = await sendWebhook(app.url, WEBHOOK_SECRET, 'workflow_run', undefined, {
      rawBody,
    });
    expect(signed.status).toBe(400);
    expect(JSON.parse(signed.body).error.code).toBe('WEBHOOK.MALFORMED');
  });

  it('accepts a signed delivery over the exact bytes sent', async () => {
    const rawBody = '{ "action":"ping",\n  "zen": "Keep it logically awesome." }';
    const response = await sendWebhook(app.url, WEBHOOK_SECRET, 'ping', undefined, { rawBody });
    expect(response.status).toBe(200);
    expect(await metrics()).toMatch(
      /chatops_webhook_deliveries_total\{event="ping",outcome="ignored"\} 1/,
    );
  });
});

describe('POST /webhook/github without WEBHOOK_SECRET', () => {
  it('answers 503 and says why', async () => {
    const app = await startAppWithFakes({ env: { WEBHOOK_SECRET: undefined } });
    try {
      const response = await sendWebhook(app.url, 'anything', 'workflow_run', {
        action: 'completed',
      });
      expect(response.status).toBe(503);
      expect(JSON.parse(response.body).error.message).toBe(
        'Webhooks are disabled: WEBHOOK_SECRET is not configured.',
      );
    } finally {
      await app.closeAll();
    }
  });
});
