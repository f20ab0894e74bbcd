import { randomBytes } from 'node:crypto';
import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from './support/database';
import { DeploymentHistory } from '../src/deployments/deployment-history.repository';
import { DeploymentOutbox } from '../src/deployment-message/message-outbox.store';
import { RunDeliveryDocument, RunDeliverySchema } from '../src/tracking/run-delivery.schema';
import { DeploymentTrackingStore } from '../src/tracking/tracking.store';
import { DeploymentDocument, DeploymentSchema } from '../src/deployments/deployment.schema';

const HISTORY = 10_000;
const ROLLBACKS = 1_000;
const READS = ['find', 'update', 'findAndModify', 'aggregate', 'count'];

/** The documents an explained query examined, wherever the plan reports them. */
function docsExamined(explained: unknown): number {
  if (!explained || typeof explained !== 'object') return 0;
  let total = 0;
  for (const [key, value] of Object.entries(explained)) {
    if (key === 'totalDocsExamined' && typeof value === 'number') total += value;
    else if (key !== 'allPlansExecution') total += docsExamined(value);
  }
  return total;
}

/**
 * Start-up must not read the history: every query it runs is answered from an index that holds
 * only what is live (in flight, pending, due), however many deployments are behind it. The real
 * engine's query planner says how many documents each one examined.
 */
describe('what start-up reads, with 10,000 deployments and 1,000 rollbacks behind it', () => {
  let connection: Connection;
  let history: DeploymentHistory;
  let tracking: DeploymentTrackingStore;
  let outbox: DeploymentOutbox;
  const commands: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    connection = await mongoose
      .createConnection(testDatabaseUri('startup'), { monitorCommands: true })
      .asPromise();
    const model = connection.model(DeploymentDocument.name, DeploymentSchema);
    await model.init();
    history = new DeploymentHistory(model);
    tracking = new DeploymentTrackingStore(
      model,
      connection.model(RunDeliveryDocument.name, RunDeliverySchema),
    );
    outbox = new DeploymentOutbox(model);
    const long = new Date(Date.now() - 30 * 86_400_000);
    const past = (i: number, extra: Record<string, unknown> = {}) => ({
      _id: `d-${i.toString(16).padStart(6, '0')}`,
      service: `svc-${i % 40}`,
      environment: i % 3 ? 'staging' : 'prod',
      ref: 'main',
      sha: randomBytes(20).toString('hex'),
      requester: { id: '1', name: 'dana' },
      status: i % 7 ? 'success' : 'failure',
      transitions: [],
      createdAt: long,
      updatedAt: long,
      finishedAt: long,
      version: 5,
      ...extra,
    });
    const behind = Array.from({ length: HISTORY }, (_, i) =>
      past(i, i < ROLLBACKS ? { rollback: { of: 'd-000000', ofSha: 'a', to: 'd-000001' } } : {}),
    );
    await model.collection.insertMany(behind as never[]);
    // What is live: a few in flight, one pending approval, one rollback still to settle.
    await model.collection.insertMany([
      past(HISTORY + 1, { status: 'in_progress', nextCheckAt: long, finishedAt: undefined }),
      past(HISTORY + 2, { status: 'dispatched', nextCheckAt: long, finishedAt: undefined }),
      past(HISTORY + 3, {
        status: 'pending_approval',
        approval: { required: 1, approvals: [], expiresAt: long },
        finishedAt: undefined,
      }),
      past(HISTORY + 4, {
        rollback: { of: 'd-000000', ofSha: 'a', to: 'd-000001' },
        supersedePending: true,
      }),
      past(HISTORY + 5, { syncDueAt: long }),
    ] as never[]);
    connection.getClient().on('commandStarted', (event) => {
      if (READS.includes(event.commandName)) commands.push(event.command);
    });
  });
  afterAll(() => connection.close());

  it('examines only what is live', async () => {
    const now = new Date();
    await tracking.markTrackedDue(now);
    await history.countInFlight();
    await history.findRollbacksToSettle();
    await history.findExpiredPending(now);
    await tracking.claimDueCheck(now, 30_000, 'test#1');
    await outbox.findDue(now, 50);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const command of commands) {
      const { lsid: _l, $db: _d, $clusterTime: _c, $readPreference: _r, ...plain } = command;
      const explained = await connection.db!.command({
        explain: plain,
        verbosity: 'executionStats',
      });
      const name = Object.keys(plain)[0];
      expect({ query: name, docsExamined: docsExamined(explained) <= 5 }).toEqual({
        query: name,
        docsExamined: true,
      });
    }
  });
});
