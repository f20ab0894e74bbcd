import mongoose, { Connection } from 'mongoose';
import { aService } from '../../test/support/factories';
import { testDatabaseUri } from '../../test/support/database';
import { ServiceRepository } from './service.repository';
import { ServiceDocument, ServiceSchema } from './service.schema';

/** The promotion order's update, raced on the real engine. */
describe('ServiceRepository.setTargetFields on the real engine', () => {
  let connection: Connection;
  let repository: ServiceRepository;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('service_targets')).asPromise();
    const model = connection.model(ServiceDocument.name, ServiceSchema);
    await model.init();
    repository = new ServiceRepository(model);
  });
  afterAll(() => connection.close());

  it('lets only one of two admins closing a loop at once win', async () => {
    const name = 'api-loop';
    await repository.insert(aService({ name, environments: ['staging', 'prod'] }));
    for (let round = 0; round < 20; round++) {
      await repository.setTargetFields(name, 'prod', { promoteFrom: null });
      await repository.setTargetFields(name, 'staging', { promoteFrom: null });
      // Each read the other's order as empty: prod after staging, and staging after prod.
      const [prod, staging] = await Promise.all([
        repository.setTargetFields(name, 'prod', { promoteFrom: 'staging' }, { staging: null }),
        repository.setTargetFields(name, 'staging', { promoteFrom: 'prod' }, { prod: null }),
      ]);
      expect([prod, staging].filter(Boolean)).toHaveLength(1);
      const stored = await repository.findByName(name);
      const order = [stored!.targets?.prod?.promoteFrom, stored!.targets?.staging?.promoteFrom];
      expect(order.filter(Boolean)).toHaveLength(1);
    }
  });
});
