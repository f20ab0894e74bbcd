import mongoose, { Connection, Model } from 'mongoose';
import { Instance } from '../../libs/instance';
import { testDatabaseUri } from '../../test/support/database';
import {
  CLAIM_TTL_SECONDS,
  InteractionClaimDocument,
  InteractionClaimSchema,
} from './interaction-claim.schema';
import { ClaimUnavailableError, InteractionClaims } from './interaction-claims.repository';

describe('InteractionClaims on the real engine', () => {
  let connection: Connection;
  let model: Model<InteractionClaimDocument>;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('claims')).asPromise();
    model = connection.model(InteractionClaimDocument.name, InteractionClaimSchema);
    await model.init();
  });
  afterAll(() => connection.close());

  it('gives an interaction to exactly one of the instances claiming it at once', async () => {
    const instances = Array.from({ length: 5 }, (_, i) => new Instance(`host-${i}`));
    const outcomes = await Promise.all(
      instances.map((instance) =>
        new InteractionClaims(model, instance).claim('1500000000000000001', new Date()),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'lost')).toHaveLength(4);
    const stored = await model.findById('1500000000000000001').lean();
    expect(instances.map((instance) => instance.id)).toContain(stored?.instance);
  });

  it('forgets claims after 20 minutes, longer than an interaction token lives', async () => {
    const ttl = (await model.collection.indexes()).find((index) => index.name === 'at_1');
    expect(ttl?.expireAfterSeconds).toBe(CLAIM_TTL_SECONDS);
    expect(CLAIM_TTL_SECONDS).toBeGreaterThan(15 * 60);
  });

  it('says the database is unavailable at once when it is not connected', async () => {
    const closed = await mongoose.createConnection(testDatabaseUri('claims-closed')).asPromise();
    const closedModel = closed.model(InteractionClaimDocument.name, InteractionClaimSchema);
    await closed.close();
    await expect(
      new InteractionClaims(closedModel, new Instance('host-x')).claim('1', new Date()),
    ).rejects.toBeInstanceOf(ClaimUnavailableError);
  });
});
