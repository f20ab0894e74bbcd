import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineHost } from '../../libs/embedded-mongo';

/**
 * One MongoDB for the whole run: the server named by MONGODB_URI when set, otherwise one
 * embedded engine host. Each test file then uses a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_URI = process.env.MONGODB_URI;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'chatops-test-'));
  const host = await EngineHost.start({ dataDir });
  process.env.TEST_MONGODB_URI = host.uri;
  (globalThis as { __engineHost?: EngineHost; __engineDataDir?: string }).__engineHost = host;
  (globalThis as { __engineDataDir?: string }).__engineDataDir = dataDir;
}
