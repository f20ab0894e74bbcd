import type { Connection, Model } from 'mongoose';
import { kernelDatabase } from '../../test/support/kernel';
import { DeploymentDocument } from './deployment.schema';
import { slotsToTry } from './deployment-slots.repository';

describe('slotsToTry on the real engine', () => {
  let connection: Connection;
  let model: Model<DeploymentDocument>;

  beforeAll(async () => {
    ({ connection, model } = await kernelDatabase('kernel_slots'));
  });
  afterAll(() => connection.close());
  beforeEach(() => model.deleteMany({}));

  it('offers the slots free a moment ago first, then the others, from one covered read', async () => {
    await model.collection.insertMany(
      [0, 1, 3, 7].map((slot) => ({ _id: `d-${slot}` as never, slot })),
    );
    await model.collection.insertOne({ _id: 'd-none' as never });
    expect(await slotsToTry(model, 5)).toEqual([2, 4, 0, 1, 3]);
    expect(await slotsToTry(model, 2)).toEqual([0, 1]);
    const plan = JSON.stringify(
      await model.collection
        .find({ slot: { $gte: 0, $lt: 5 } }, { projection: { _id: 0, slot: 1 } })
        .explain('queryPlanner'),
    );
    expect(plan).toContain('"indexName":"slot_1"');
  });
});
