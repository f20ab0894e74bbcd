import { rmSync } from 'node:fs';
import type { EngineHost } from '../../libs/embedded-mongo';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __engineHost?: EngineHost; __engineDataDir?: string };
  await state.__engineHost?.stop();
  if (state.__engineDataDir) rmSync(state.__engineDataDir, { recursive: true, force: true });
}
