import mongoose, { Connection, Model } from 'mongoose';
import { DeploymentDocument, DeploymentSchema } from '../../src/deployments/deployment.schema';
import { testDatabaseUri } from './database';

/**
 * The deployments collection on the real engine, in a database of its own, with the schema's
 * indexes built: what the kernel's repository specs run against.
 */
export async function kernelDatabase(label: string): Promise<{
  connection: Connection;
  model: Model<DeploymentDocument>;
}> {
  const connection = await mongoose.createConnection(testDatabaseUri(label)).asPromise();
  const model = connection.model(DeploymentDocument.name, DeploymentSchema);
  await model.init();
  return { connection, model };
}
