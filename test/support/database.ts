import { randomBytes } from 'node:crypto';
import { ConnectionString } from 'mongodb-connection-string-url';

/** A URI for a database of its own on the test server (see test/setup/global-setup.ts). */
export function testDatabaseUri(label = 'test'): string {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run the tests through Jest (npm test)');
  const uri = new ConnectionString(base);
  const safe = label.replace(/[^a-z0-9]/gi, '_').slice(0, 30);
  uri.pathname = `/t_${safe}_${randomBytes(4).toString('hex')}`;
  return uri.toString();
}
