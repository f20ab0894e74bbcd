import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'discord.js';
import { createApp } from '../bootstrap';
import { loadAppConfig } from '../config/app-config';
import { CommandRegistration } from '../discord/command-registration';

/**
 * npm run commands:print: the slash-command definitions exactly as they are sent to Discord, as
 * JSON, without connecting to Discord or GitHub (a throwaway embedded database holds nothing).
 */
async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatops-commands-'));
  // Only the definitions are wanted: the client never logs in.
  Client.prototype.login = async () => 'offline';
  const config = loadAppConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DISCORD_TOKEN: 'offline',
    CLIENT_ID: '00000000000000000',
    GUILD_ID: '00000000000000000',
    GITHUB_TOKEN: 'offline',
    MONGODB_DATA_DIR: dataDir,
  });
  const app = await createApp(config);
  try {
    await app.init();
    const commands = app.get(CommandRegistration).payloads();
    process.stdout.write(`${JSON.stringify(commands, null, 2)}\n`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
