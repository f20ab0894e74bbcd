import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { WebhookActivityDocument, WebhookActivitySchema } from './webhook-activity.schema';
import { WebhookActivityStore } from './webhook-activity.store';

const NOW = new Date('2026-11-24T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

/** Which repositories send webhooks, on the real engine. */
describe('WebhookActivityStore on the real engine', () => {
  let connection: Connection;
  let model: mongoose.Model<WebhookActivityDocument>;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('webhook_activity')).asPromise();
    model = connection.model(WebhookActivityDocument.name, WebhookActivitySchema);
    await model.init();
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('keeps the latest delivery per repository, whatever the case or order, written at most every 30 s per instance', async () => {
    const one = new WebhookActivityStore(model);
    const other = new WebhookActivityStore(model);
    await Promise.all([one.noteDelivery('Acme/API', NOW), other.noteDelivery('acme/api', NOW)]);
    await one.noteDelivery('acme/api', later(10_000));
    expect((await one.modeOf('ACME/api', NOW)).lastDeliveryAt).toEqual(NOW);
    await one.noteDelivery('acme/api', later(40_000));
    // Late: never moves the time back.
    await other.noteDelivery('acme/api', later(20_000));
    expect(await other.modeOf('acme/api', later(40_000))).toEqual({
      mode: 'webhook',
      lastDeliveryAt: later(40_000),
    });
    expect(await model.countDocuments()).toBe(1);
  });

  it('reads many repositories at once, leaving out those never heard from', async () => {
    const store = new WebhookActivityStore(model);
    await store.noteDelivery('acme/api', NOW);
    const last = await store.lastDeliveries(['acme/api', 'acme/web', 'ACME/API']);
    expect([...last.entries()]).toEqual([['acme/api', NOW]]);
    expect(await store.lastDeliveries([])).toEqual(new Map());
  });
});
