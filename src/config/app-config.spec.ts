import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigValidationError, loadAppConfig } from './app-config';

const valid = {
  DISCORD_TOKEN: 'discord-secret-token',
  CLIENT_ID: '123456789012345678',
  GITHUB_TOKEN: 'ghp_secretsecretsecret',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadAppConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadAppConfig(valid);
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      logLevel: 'info',
      discord: { apiUrl: 'https://discord.com/api', guildId: undefined },
      github: { apiUrl: 'https://api.github.com' },
      mongo: { uri: undefined, dataDir: './data/mongo' },
      access: { adminRoleIds: [], deployerRoleIds: [] },
      deploy: { pollIntervalMs: 10_000, timeoutMs: 600_000, cooldownMs: 60_000, maxConcurrent: 3 },
      approval: { timeoutMs: 300_000, requireSecondApprover: false, approvalsRequired: 1 },
    });
    expect(config.webhook.secret).toBeUndefined();
  });

  it('lists every missing required variable at once', () => {
    expect(problemsOf({})).toEqual([
      'DISCORD_TOKEN is required',
      'CLIENT_ID is required',
      'GITHUB_TOKEN is required',
    ]);
  });

  it('names each invalid variable without repeating its value', () => {
    const env = {
      ...valid,
      PORT: 'eighty',
      DISCORD_API_URL: 'not a url',
      GITHUB_API_URL: 'ftp://github.example',
      MONGODB_URI: 'mysql://db.example/app',
      CLIENT_ID: 'abc',
      ADMIN_ROLE_IDS: '123456789012345678,nope',
      POLL_INTERVAL_MS: 'soon',
    };
    const problems = problemsOf(env);
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be a number',
        'DISCORD_API_URL must be a valid http(s) URL',
        'GITHUB_API_URL must be a valid http(s) URL',
        'MONGODB_URI is not a valid MongoDB connection string (mongodb:// or mongodb+srv://)',
        'CLIENT_ID must be a Discord id (17-20 digits)',
        'ADMIN_ROLE_IDS must be a comma-separated list of Discord ids',
        'POLL_INTERVAL_MS must be a number',
      ]),
    );
    expect(problems).toHaveLength(7);
    const text = problems.join('\n');
    for (const value of [
      'eighty',
      'not a url',
      'mysql://db.example/app',
      'nope',
      'soon',
      'ftp://',
    ]) {
      expect(text).not.toContain(value);
    }
  });

  it('requires WEBHOOK_SECRET and MONGODB_URI in production only', () => {
    expect(problemsOf({ ...valid, NODE_ENV: 'production' })).toEqual([
      'WEBHOOK_SECRET is required',
      'MONGODB_URI is required',
    ]);
    const production = loadAppConfig({
      ...valid,
      NODE_ENV: 'production',
      WEBHOOK_SECRET: 'hook-secret',
      MONGODB_URI: 'mongodb://db.internal:27017/chatops',
    });
    expect(production.mongo.uri).toBe('mongodb://db.internal:27017/chatops');
  });

  it('wants GITHUB_OWNER and GITHUB_REPO together', () => {
    expect(problemsOf({ ...valid, GITHUB_OWNER: 'acme' })).toEqual([
      'GITHUB_REPO must be set together with GITHUB_OWNER',
    ]);
    expect(
      loadAppConfig({ ...valid, GITHUB_OWNER: 'acme', GITHUB_REPO: 'api' }).github,
    ).toMatchObject({
      owner: 'acme',
      repo: 'api',
    });
  });

  it('parses role lists, numbers and booleans', () => {
    const config = loadAppConfig({
      ...valid,
      ADMIN_ROLE_IDS: '123456789012345678, 223456789012345678',
      DEPLOYER_ROLE_IDS: '',
      MAX_CONCURRENT_DEPLOYS: '5',
      REQUIRE_SECOND_APPROVER: 'true',
      DISCORD_API_URL: 'http://127.0.0.1:9999/api/',
    });
    expect(config.access.adminRoleIds).toEqual(['123456789012345678', '223456789012345678']);
    expect(config.access.deployerRoleIds).toEqual([]);
    expect(config.deploy.maxConcurrent).toBe(5);
    expect(config.approval.requireSecondApprover).toBe(true);
    expect(config.discord.apiUrl).toBe('http://127.0.0.1:9999/api');
  });

  it('knows which values are secrets', () => {
    const config = loadAppConfig({ ...valid, WEBHOOK_SECRET: 'hook-secret' });
    expect(config.secrets()).toEqual([
      'discord-secret-token',
      'ghp_secretsecretsecret',
      'hook-secret',
    ]);
  });
});

describe('.env.example', () => {
  const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
  const entries = example
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=') as [string, string]);

  it('lists every variable, each with a comment above it', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...CONFIG_VARIABLES].sort());
    const lines = example.split('\n');
    for (const [name] of entries) {
      const index = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[index - 1]).toMatch(/^# /);
    }
  });

  it('is a valid configuration as it stands', () => {
    expect(() => loadAppConfig(Object.fromEntries(entries))).not.toThrow();
  });
});
