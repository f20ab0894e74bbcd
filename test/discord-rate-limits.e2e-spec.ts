import { statusLabel } from '../src/discord/deployment-views/deployment-message.views';
import { DeploymentStatus } from '../src/deployments/deployment';
import {
  deploymentIdOf,
  newService,
  runDeploy,
  storedDeployment,
  runWebhook,
  waitForStatus,
} from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import mongoose from 'mongoose';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Statuses a deployment's message goes through here, in the order they happen. */
const ORDER: DeploymentStatus[] = [
  'dispatching',
  'dispatched',
  'queued',
  'in_progress',
  'success',
  'failure',
];

/** Where in ORDER the status a message shows is (-1: none of them). */
function shownStep(text: string): number {
  return ORDER.findIndex((status) => text.includes(statusLabel(status)));
}

/**
 * Discord allows about 5 message edits per 5 s per channel. With many deployments in one
 * channel changing at once, each message gets its newest state (intermediate ones skipped,
 * never reordered) and its final state always.
 */
describe('deployment messages under a per-channel edit limit', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', MAX_CONCURRENT_DEPLOYS: '50', POLL_INTERVAL_MS: '600000' },
      // Discord's shape (a bucket per channel, 429 with retry_after), at 5 edits a second.
      arrange: ({ discord }) => discord.limitMessageEdits(5, 1_000),
    });
  });
  afterAll(() => app?.closeAll());

  it('brings the final state of 30 deployments in one channel to every message', async () => {
    const services = await Promise.all(
      Array.from({ length: 30 }, () => newService(app, { githubDeployments: 'off' })),
    );
    const handles = await Promise.all(
      services.map((service) => runDeploy(app, app.actors.deployer, service.name, 'staging')),
    );
    // Thirty commands at once: a loaded machine may take longer than one command's usual wait.
    const ids = await Promise.all(
      handles.map((handle) => deploymentIdOf(handle, { timeoutMs: 30_000 })),
    );
    // GitHub takes one write a second: thirty dispatches take half a minute.
    const runIds = await Promise.all(
      ids.map((id) =>
        waitFor(`${id}'s run`, async () => (await storedDeployment(app, id)).runId as number, {
          timeoutMs: 60_000,
        }),
      ),
    );

    const channel = handles[0].reply()!.channel_id;
    const editsOf = () =>
      app.discord.callsTo('PATCH', new RegExp(`^/channels/${channel}/messages/`));
    const before = editsOf().length;
    // Every run starts, then ends, all at once: far more changes than the channel's edits.
    for (const runId of runIds) app.github.setRunStatus(runId, 'in_progress');
    await Promise.all(runIds.map((runId) => runWebhook(app, runId)));
    runIds.forEach((runId, i) =>
      app.github.setRunStatus(runId, 'completed', i % 2 ? 'failure' : 'success'),
    );
    await Promise.all(runIds.map((runId) => runWebhook(app, runId)));
    await Promise.all(ids.map((id, i) => waitForStatus(app, id, i % 2 ? 'failure' : 'success')));

    await waitFor(
      'every message to show its final state',
      () =>
        handles.every((handle, i) =>
          messageText(handle.reply()!).includes(statusLabel(i % 2 ? 'failure' : 'success')),
        ),
      { timeoutMs: 60_000 },
    );
    const burst = editsOf().slice(before);
    const made = burst.filter((edit) => edit.status === 200).length;
    // Coalesced: 60 changes (each deployment started, then ended) made 33 edits when measured;
    // sending every state would take 60.
    expect(made).toBeLessThan(ids.length * 2);
    expect(burst.every((edit) => edit.status === 200 || edit.status === 429)).toBe(true);
    for (const handle of handles) {
      // Never an older state after a newer one.
      const steps = handle
        .reply()!
        .history.map((version) => shownStep(messageText(version)))
        .filter((step) => step >= 0);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
  }, 90_000);
});

describe('a shutdown behind a busy channel', () => {
  it('does not wait for the channel’s queue of edits: what it did not send stays due for the next holder', async () => {
    const app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', MAX_CONCURRENT_DEPLOYS: '20', POLL_INTERVAL_MS: '600000' },
      // One edit every ten seconds per channel: six edits would take a minute.
      arrange: ({ discord }) => discord.limitMessageEdits(1, 10_000),
    });
    let ids: string[] = [];
    try {
      const services = await Promise.all(
        Array.from({ length: 6 }, () => newService(app, { githubDeployments: 'off' })),
      );
      const handles = await Promise.all(
        services.map((service) => runDeploy(app, app.actors.deployer, service.name, 'staging')),
      );
      ids = await Promise.all(handles.map((handle) => deploymentIdOf(handle)));
      const runIds = await Promise.all(
        ids.map((id) =>
          waitFor(`${id}'s run`, async () => (await storedDeployment(app, id)).runId as number, {
            timeoutMs: 30_000,
          }),
        ),
      );
      for (const runId of runIds) app.github.setRunStatus(runId, 'completed', 'success');
      await Promise.all(runIds.map((runId) => runWebhook(app, runId)));
      await Promise.all(ids.map((id) => waitForStatus(app, id, 'success')));
    } finally {
      // Within the test's time limit only if the queue is not waited for.
      await app.close();
    }
    const connection = await mongoose.createConnection(app.config.mongo.uri!).asPromise();
    try {
      const due = await connection
        .collection('deployments')
        .countDocuments({ _id: { $in: ids as never[] }, syncDueAt: { $exists: true } });
      expect(due).toBeGreaterThan(0);
    } finally {
      await connection.close();
      await app.discord.close();
      await app.github.close();
    }
  }, 45_000);
});
