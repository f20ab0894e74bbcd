import { AppConfig, loadAppConfig } from '../../src/config/app-config';

/** A valid configuration for unit specs, with `overrides` on top. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadAppConfig({
    DISCORD_TOKEN: 'discord-token',
    CLIENT_ID: '123456789012345678',
    GUILD_ID: '123456789012345679',
    GITHUB_TOKEN: 'github-token',
    ...overrides,
  });
}
