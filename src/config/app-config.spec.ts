import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigValidationError, loadAppConfig } from './app-config';
import { schema } from './config-schema';

const valid = {
  DISCORD_TOKEN: 'discord-secret-token',
  CLIENT_ID: '123456789012345678',
  GUILD_ID: '123456789012345679',
  GITHUB_TOKEN: 'ghp_secretsecretsecret',
};
const LONG_SECRET = 'a-webhook-secret-of-32-characters';

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
      metrics: { port: undefined, host: '0.0.0.0' },
      discord: { apiUrl: 'https://discord.com/api', guildId: '123456789012345679' },
      github: { apiUrl: 'https://api.github.com' },
      mongo: { uri: undefined, dataDir: './data/mongo' },
      access: { adminRoleIds: [], deployerRoleIds: [] },
      deploy: {
        pollIntervalMs: 10_000,
        timeoutMs: 600_000,
        cooldownMs: 60_000,
        maxConcurrent: 3,
        memberGithubRequestsPerMinute: 30,
      },
      approval: { timeoutMs: 300_000, requireSecondApprover: false, approvalsRequired: 1 },
    });
    expect(config.webhook.secret).toBeUndefined();
  });

  it('lists every missing required variable at once', () => {
    expect(problemsOf({})).toEqual([
      'DISCORD_TOKEN is required',
      'CLIENT_ID is required',
      'GUILD_ID is required',
      'GITHUB_TOKEN is required (or GITHUB_APP_ID with its private key)',
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

  it('refuses plain http API addresses in production, except to this machine', () => {
    const production = {
      ...valid,
      NODE_ENV: 'production',
      WEBHOOK_SECRET: LONG_SECRET,
      MONGODB_URI: 'mongodb://db.example/chatops',
    };
    expect(
      problemsOf({
        ...production,
        GITHUB_API_URL: 'http://ghes.example/api/v3',
        DISCORD_API_URL: 'http://proxy.example/api',
      }),
    ).toEqual([
      'DISCORD_API_URL must use https in production (plain http only to this machine)',
      'GITHUB_API_URL must use https in production (plain http only to this machine)',
    ]);
    for (const local of ['http://127.0.0.1:8080', 'http://localhost:8080/api/v3'])
      expect(loadAppConfig({ ...production, GITHUB_API_URL: local }).github.apiUrl).toBe(local);
    expect(loadAppConfig({ ...valid, GITHUB_API_URL: 'http://ghes.example/api/v3' })).toBeTruthy();
  });

  it("knows GitHub's web host from its API's address", () => {
    expect(loadAppConfig(valid).github.webHost).toBe('github.com');
    expect(
      loadAppConfig({ ...valid, GITHUB_API_URL: 'https://ghes.example/api/v3' }).github.webHost,
    ).toBe('ghes.example');
    expect(
      loadAppConfig({ ...valid, GITHUB_API_URL: 'https://api.acme.ghe.com' }).github.webHost,
    ).toBe('acme.ghe.com');
  });

  it('requires a long WEBHOOK_SECRET and MONGODB_URI in production only', () => {
    expect(problemsOf({ ...valid, NODE_ENV: 'production' })).toEqual([
      'WEBHOOK_SECRET is required',
      'MONGODB_URI is required',
    ]);
    expect(
      problemsOf({
        ...valid,
        NODE_ENV: 'production',
        WEBHOOK_SECRET: 'short',
        MONGODB_URI: 'mongodb://db.internal:27017/chatops',
      }),
    ).toEqual(['WEBHOOK_SECRET must be at least 32 characters long']);
    const production = loadAppConfig({
      ...valid,
      NODE_ENV: 'production',
      WEBHOOK_SECRET: LONG_SECRET,
      MONGODB_URI: 'mongodb://db.internal:27017/chatops',
    });
    expect(production.mongo.uri).toBe('mongodb://db.internal:27017/chatops');
    expect(loadAppConfig({ ...valid, WEBHOOK_SECRET: 'short' }).webhook.secret).toBe('short');
  });

  it('wants a second approver by default in production, and lets the operator say otherwise', () => {
    const production = {
      ...valid,
      NODE_ENV: 'production',
      WEBHOOK_SECRET: LONG_SECRET,
      MONGODB_URI: 'mongodb://db.internal:27017/chatops',
    };
    expect(loadAppConfig(production).approval.requireSecondApprover).toBe(true);
    expect(
      loadAppConfig({ ...production, REQUIRE_SECOND_APPROVER: 'false' }).approval
        .requireSecondApprover,
    ).toBe(false);
    expect(loadAppConfig(valid).approval.requireSecondApprover).toBe(false);
  });

  it('serves /metrics and /health on METRICS_PORT when it is set', () => {
    expect(loadAppConfig({ ...valid, METRICS_PORT: '9100' }).metrics).toEqual({
      port: 9100,
      host: '0.0.0.0',
    });
    expect(problemsOf({ ...valid, METRICS_PORT: 'x' })).toEqual(['METRICS_PORT must be a number']);
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
  const [forTheBot, forCompose] = example.split('# --- docker compose only');
  const entriesOf = (text: string) =>
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=') as [string, string]);
  const entries = entriesOf(forTheBot);

  it('lists every variable, each with a comment above it', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect(entriesOf(forCompose).map(([name]) => name)).toEqual([
      'MONGO_ROOT_PASSWORD',
      'MONGO_APP_PASSWORD',
    ]);
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

describe('docs/configuration.md', () => {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  /** Each row of the variables table: its variables (a row may name two) and its default. */
  const rows = page
    .split('\n')
    .filter((line) => /^\| `[A-Z_]+`/.test(line))
    .map((line) => {
      const [names, fallback] = line.split('|').slice(1, 3);
      return {
        names: [...names!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!),
        fallback: fallback!.trim(),
      };
    });
  const keys = (schema.describe() as { keys: Record<string, { flags?: { default?: unknown } }> })
    .keys;

  it('documents every variable the schema reads, and nothing else', () => {
    expect(rows.flatMap((row) => row.names).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("gives each variable the schema's own default", () => {
    const wrong = rows.flatMap(({ names, fallback }) =>
      names.flatMap((name) => {
        const value = keys[name]?.flags?.default;
        // Lists default to empty, and a default that depends on NODE_ENV is spelled out in words.
        if (value === undefined || Array.isArray(value)) return [];
        return fallback.startsWith(`\`${String(value)}\``) ? [] : [`${name}: ${fallback}`];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('says of a variable without a plain default whether it is required, optional, or depends on NODE_ENV', () => {
    const unclear = rows.filter(
      ({ names, fallback }) =>
        names.every((name) => keys[name]?.flags?.default === undefined) &&
        !/^(–|required|one identity required|`[^`]+` in production)/.test(fallback),
    );
    expect(unclear).toEqual([]);
  });
});
