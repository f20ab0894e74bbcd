import mongoose, { Connection } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { testConfig } from '../../test/support/config';
import { AuditRepository } from './audit.repository';
import { AuditDocument, AuditSchema } from './audit.schema';

describe('AuditRepository on the real engine', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('audit')).asPromise();
  });
  afterAll(() => connection.close());

  const retention = async () =>
    (await connection.collection('audit').indexes()).find((index) => index.name === 'at_1')
      ?.expireAfterSeconds;

  it('keeps entries AUDIT_RETENTION_DAYS, turning an earlier plain index into a TTL index', async () => {
    const model = connection.model(AuditDocument.name, AuditSchema);
    // The index an earlier version made: no expiry.
    await model.collection.createIndex({ at: 1 });
    expect(await retention()).toBeUndefined();

    await new AuditRepository(model, testConfig()).onModuleInit();
    expect(await retention()).toBe(365 * 86_400);

    await new AuditRepository(model, testConfig({ AUDIT_RETENTION_DAYS: '30' })).onModuleInit();
    expect(await retention()).toBe(30 * 86_400);
  });
});
