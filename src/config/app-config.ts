import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import Joi from 'joi';
import { ConnectionString } from 'mongodb-connection-string-url';

export type NodeEnv = 'development' | 'production' | 'test';

/** The whole validated environment, typed. Features inject this; nothing else reads process.env. */
export class AppConfig {
  nodeEnv!: NodeEnv;
  port!: number;
  /** When set, /metrics and /health are served only on this port, and the main port serves the webhook alone. */
  metrics!: { port?: number; host: string };
  logLevel!: string;
  discord!: {
    token: string;
    clientId: string;
    /** The home server: the only one whose members the bot obeys. */
    guildId: string;
    apiUrl: string;
    deployChannelId?: string;
  };
  github!: {
    identity: GithubIdentity;
    apiUrl: string;
    owner?: string;
    repo?: string;
    /** Points a minute the bot's own calls (not members' commands) may use, all instances together. */
    backgroundBudgetPerMinute: number;
    /** An attempt GitHub has not answered within this long is abandoned (its outcome unknown). */
    requestTimeoutMs: number;
    /**
     * The web host of GitHub (`github.com`, or the Enterprise Server's host): links to it are
     * shown as links, links elsewhere (a commit status's, say) as text.
     */
    webHost: string;
  };
  webhook!: {
    secret?: string;
    /** Bodies one remote address may be sending at once. */
    bodiesPerAddress: number;
  };
  mongo!: { uri?: string; dataDir: string };
  access!: { adminRoleIds: string[]; deployerRoleIds: string[] };
  deploy!: {
    pollIntervalMs: number;
    /** How often runs are polled while their repository's webhooks arrive. */
    pollBackstopMs: number;
    timeoutMs: number;
    cooldownMs: number;
    maxConcurrent: number;
    /** GitHub requests one member's commands and clicks may cause per minute. */
    memberGithubRequestsPerMinute: number;
  };
  approval!: { timeoutMs: number; requireSecondApprover: boolean; approvalsRequired: number };
  /** The CI gate: how long a request waits for checks (and an override stays possible). */
  ciGate!: {
    waitMs: number;
    /** How long a commit with no checks at all waits for CI to start before it is refused. */
    noChecksGraceMs: number;
    /** Requests one member may have held at the gate at once. */
    heldPerMember: number;
  };
  audit!: { retentionDays: number };

  /** Every secret value, so log output can be scrubbed of them whatever path they take. */
  secrets(): string[] {
    const identity = this.github.identity;
    const github = identity.kind === 'token' ? identity.token : identity.privateKey;
    return [this.discord.token, github, this.webhook.secret].filter(
      (value): value is string => typeof value === 'string' && value.length >= 4,
    );
  }
}

/**
 * Who the bot is on GitHub: a token, or a GitHub App (installation tokens per owner, created and
 * refreshed from the App's private key).
 */
export type GithubIdentity =
  | { kind: 'token'; token: string }
  | {
      kind: 'app';
      appId: number;
      /** PEM. */
      privateKey: string;
      /** Set when every service lives under one installation; else found per owner. */
      installationId?: number;
    };

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const SNOWFLAKE = /^\d{17,20}$/;

const snowflakeList = Joi.string()
  .empty('')
  .custom((value: string, helpers) => {
    const ids = value
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    return ids.every((id) => SNOWFLAKE.test(id)) ? ids : helpers.error('list.snowflakes');
  });

const mongoUri = Joi.string().custom((value: string, helpers) => {
  try {
    new ConnectionString(value);
    return value;
  } catch {
    return helpers.error('mongo.uri');
  }
});

const httpUrl = Joi.string().uri({ scheme: ['http', 'https'] });

/** Hosts whose traffic never leaves the machine: plain http to them is allowed in production. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** An API URL: https in production (tokens travel in its headers), except to this machine. */
const apiUrl = (fallback: string) =>
  httpUrl.default(fallback).when('NODE_ENV', {
    is: 'production',
    then: httpUrl.custom((value: string, helpers) =>
      new URL(value).protocol === 'https:' || LOOPBACK.test(new URL(value).hostname)
        ? value
        : helpers.error('url.insecure'),
    ),
  });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  PORT: Joi.number().integer().port().default(3000),
  METRICS_PORT: Joi.number().integer().port().empty(''),
  METRICS_HOST: Joi.string().hostname().empty('').default('0.0.0.0'),
  LOG_LEVEL: Joi.string()
    .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
    .default('info'),

  DISCORD_TOKEN: Joi.string().required(),
  CLIENT_ID: Joi.string().pattern(SNOWFLAKE).required(),
  GUILD_ID: Joi.string().pattern(SNOWFLAKE).empty('').required(),
  DISCORD_API_URL: apiUrl('https://discord.com/api'),
  DEPLOY_CHANNEL_ID: Joi.string().pattern(SNOWFLAKE).empty(''),

  GITHUB_TOKEN: Joi.string().empty(''),
  GITHUB_APP_ID: Joi.number().integer().min(1).empty(''),
  GITHUB_APP_PRIVATE_KEY: Joi.string().empty(''),
  GITHUB_APP_PRIVATE_KEY_PATH: Joi.string().empty(''),
  GITHUB_APP_INSTALLATION_ID: Joi.number().integer().min(1).empty(''),
  GITHUB_API_URL: apiUrl('https://api.github.com'),
  GITHUB_REQUEST_TIMEOUT_MS: Joi.number().integer().min(1_000).max(15_000).default(10_000),
  GITHUB_OWNER: Joi.string()
    .pattern(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/)
    .empty(''),
  GITHUB_REPO: Joi.string()
    .pattern(/^[A-Za-z0-9._-]{1,100}$/)
    .empty(''),

  WEBHOOK_SECRET: Joi.string()
    .empty('')
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.string().min(32).required(),
    }),
  WEBHOOK_MAX_BODIES_PER_ADDRESS: Joi.number().integer().min(1).max(64).default(16),
  MONGODB_URI: mongoUri.empty('').when('NODE_ENV', { is: 'production', then: Joi.required() }),
  MONGODB_DATA_DIR: Joi.string().default('./data/mongo'),

  ADMIN_ROLE_IDS: snowflakeList.default([]),
  DEPLOYER_ROLE_IDS: snowflakeList.default([]),

  POLL_INTERVAL_MS: Joi.number().integer().min(100).default(10_000),
  POLL_BACKSTOP_MS: Joi.number().integer().min(1_000).default(300_000),
  GITHUB_BACKGROUND_BUDGET_PER_MINUTE: Joi.number().integer().min(10).default(600),
  DEPLOY_TIMEOUT_MS: Joi.number().integer().min(1_000).default(600_000),
  APPROVAL_TIMEOUT_MS: Joi.number().integer().min(1_000).default(300_000),
  DEPLOY_COOLDOWN_MS: Joi.number().integer().min(0).default(60_000),
  MAX_CONCURRENT_DEPLOYS: Joi.number().integer().min(1).max(100).default(3),
  MEMBER_GITHUB_REQUESTS_PER_MINUTE: Joi.number().integer().min(1).max(5_000).default(30),
  // One person cannot ship to production alone unless the operator says so.
  REQUIRE_SECOND_APPROVER: Joi.boolean()
    .empty('')
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.boolean().default(true),
      otherwise: Joi.boolean().default(false),
    }),
  APPROVALS_REQUIRED: Joi.number().integer().min(1).max(5).default(1),
  CI_WAIT_TIMEOUT_MS: Joi.number().integer().min(1_000).default(1_800_000),
  CI_NO_CHECKS_GRACE_MS: Joi.number().integer().min(0).default(120_000),
  CI_HELD_PER_MEMBER: Joi.number().integer().min(1).max(25).default(3),
  AUDIT_RETENTION_DAYS: Joi.number().integer().min(1).max(36_500).default(365),
})
  .and('GITHUB_OWNER', 'GITHUB_REPO')
  .oxor('GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_PRIVATE_KEY_PATH')
  .unknown(true);

/** Every variable the app reads. */
export const CONFIG_VARIABLES: string[] = Object.keys(
  (schema.describe() as { keys: Record<string, unknown> }).keys,
);

/** What is wrong, by variable name, without ever repeating the value. */
function describeProblem(detail: Joi.ValidationErrorItem): string {
  const name = String(detail.context?.key ?? detail.path.join('.'));
  switch (detail.type) {
    case 'any.required':
      return `${name} is required`;
    case 'object.and': {
      const missing = (detail.context?.missingWithLabels as string[] | undefined) ?? [];
      return `${missing.join(', ') || 'GITHUB_OWNER/GITHUB_REPO'} must be set together with ${(
        (detail.context?.presentWithLabels as string[] | undefined) ?? []
      ).join(', ')}`;
    }
    case 'object.oxor':
      return 'set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH, not both';
    case 'number.base':
      return `${name} must be a number`;
    case 'number.integer':
      return `${name} must be a whole number`;
    case 'number.port':
      return `${name} must be a TCP port (0-65535)`;
    case 'number.min':
      return `${name} must be at least ${detail.context?.limit}`;
    case 'string.min':
      return `${name} must be at least ${detail.context?.limit} characters long`;
    case 'string.hostname':
      return `${name} must be a host name or IP address`;
    case 'number.max':
      return `${name} must be at most ${detail.context?.limit}`;
    case 'boolean.base':
      return `${name} must be true or false`;
    case 'string.uri':
    case 'string.uriCustomScheme':
      return `${name} must be a valid http(s) URL`;
    case 'url.insecure':
      return `${name} must use https in production (plain http only to this machine)`;
    case 'mongo.uri':
      return `${name} is not a valid MongoDB connection string (mongodb:// or mongodb+srv://)`;
    case 'list.snowflakes':
      return `${name} must be a comma-separated list of Discord ids`;
    case 'string.pattern.base':
      return SNOWFLAKE.source === (detail.context?.regex as RegExp | undefined)?.source
        ? `${name} must be a Discord id (17-20 digits)`
        : `${name} has an invalid format`;
    case 'any.only':
      return `${name} must be one of: ${(detail.context?.valids as string[]).join(', ')}`;
    default:
      return `${name} is invalid`;
  }
}

const messages = {
  'list.snowflakes': '{{#label}} must be a list of Discord ids',
  'mongo.uri': '{{#label}} is not a valid MongoDB connection string',
  'url.insecure': '{{#label}} must use https in production',
};

/** Validates the whole environment at once; throws with every problem, never a value. */
export function loadAppConfig(env: Record<string, string | undefined>): AppConfig {
  const { error, value } = schema.validate(env, { abortEarly: false, convert: true, messages });
  const v = value as Record<string, never>;
  const identity = githubIdentity(v);
  const problems = [
    ...(error?.details.map(describeProblem) ?? []),
    ...(typeof identity === 'string' ? [identity] : []),
  ];
  if (problems.length || typeof identity === 'string') throw new ConfigValidationError(problems);
  return Object.assign(new AppConfig(), {
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    metrics: { port: v.METRICS_PORT, host: v.METRICS_HOST },
    logLevel: v.LOG_LEVEL,
    discord: {
      token: v.DISCORD_TOKEN,
      clientId: v.CLIENT_ID,
      guildId: v.GUILD_ID,
      apiUrl: String(v.DISCORD_API_URL).replace(/\/+$/, ''),
      deployChannelId: v.DEPLOY_CHANNEL_ID,
    },
    github: {
      identity,
      apiUrl: String(v.GITHUB_API_URL).replace(/\/+$/, ''),
      owner: v.GITHUB_OWNER,
      repo: v.GITHUB_REPO,
      backgroundBudgetPerMinute: v.GITHUB_BACKGROUND_BUDGET_PER_MINUTE,
      requestTimeoutMs: v.GITHUB_REQUEST_TIMEOUT_MS,
      webHost: githubWebHost(String(v.GITHUB_API_URL)),
    },
    webhook: { secret: v.WEBHOOK_SECRET, bodiesPerAddress: v.WEBHOOK_MAX_BODIES_PER_ADDRESS },
    mongo: { uri: v.MONGODB_URI, dataDir: v.MONGODB_DATA_DIR },
    access: { adminRoleIds: v.ADMIN_ROLE_IDS, deployerRoleIds: v.DEPLOYER_ROLE_IDS },
    deploy: {
      pollIntervalMs: v.POLL_INTERVAL_MS,
      pollBackstopMs: v.POLL_BACKSTOP_MS,
      timeoutMs: v.DEPLOY_TIMEOUT_MS,
      cooldownMs: v.DEPLOY_COOLDOWN_MS,
      maxConcurrent: v.MAX_CONCURRENT_DEPLOYS,
      memberGithubRequestsPerMinute: v.MEMBER_GITHUB_REQUESTS_PER_MINUTE,
    },
    approval: {
      timeoutMs: v.APPROVAL_TIMEOUT_MS,
      requireSecondApprover: v.REQUIRE_SECOND_APPROVER,
      approvalsRequired: v.APPROVALS_REQUIRED,
    },
    ciGate: {
      waitMs: v.CI_WAIT_TIMEOUT_MS,
      noChecksGraceMs: v.CI_NO_CHECKS_GRACE_MS,
      heldPerMember: v.CI_HELD_PER_MEMBER,
    },
    audit: { retentionDays: v.AUDIT_RETENTION_DAYS },
  });
}

/**
 * Where GitHub's pages are, from its API's address: `api.github.com` → `github.com`; a GitHub
 * Enterprise Server (`https://<host>/api/v3`) serves both from one host.
 */
export function githubWebHost(apiUrl: string): string {
  const host = new URL(apiUrl).hostname.toLowerCase();
  return host === 'api.github.com' ? 'github.com' : host.replace(/^api\./, '');
}

/**
 * Exactly one identity: GITHUB_TOKEN, or GITHUB_APP_ID with its private key (inline, `\n`
 * escapes accepted, or a file). The key is parsed here, so a malformed one stops the start with
 * its name, never its content. A string is the problem.
 */
function githubIdentity(v: Record<string, never>): GithubIdentity | string {
  const token = v.GITHUB_TOKEN as string | undefined;
  const appId = v.GITHUB_APP_ID as number | undefined;
  const inline = v.GITHUB_APP_PRIVATE_KEY as string | undefined;
  const path = v.GITHUB_APP_PRIVATE_KEY_PATH as string | undefined;
  const installationId = v.GITHUB_APP_INSTALLATION_ID as number | undefined;
  const appParts = [appId, inline, path, installationId].some((part) => part !== undefined);
  if (token && appParts)
    return 'set GITHUB_TOKEN or the GITHUB_APP_* variables, not both (one GitHub identity)';
  if (token) return { kind: 'token', token };
  if (!appParts) return 'GITHUB_TOKEN is required (or GITHUB_APP_ID with its private key)';
  if (appId === undefined) return 'GITHUB_APP_ID is required with the other GITHUB_APP_* variables';
  let privateKey: string;
  if (path !== undefined) {
    try {
      privateKey = readFileSync(path, 'utf8');
    } catch {
      return 'GITHUB_APP_PRIVATE_KEY_PATH cannot be read (no such file, or no permission)';
    }
  } else if (inline !== undefined) {
    privateKey = inline.replace(/\\n/g, '\n');
  } else {
    return 'GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH is required with GITHUB_APP_ID';
  }
  const name = path !== undefined ? 'GITHUB_APP_PRIVATE_KEY_PATH' : 'GITHUB_APP_PRIVATE_KEY';
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa')
      return `${name} must be an RSA key (GitHub Apps sign with RS256)`;
  } catch {
    return `${name} is not a PEM private key (download it from the App's settings; in one line, write newlines as \\n)`;
  }
  return { kind: 'app', appId, privateKey: privateKey.trim() + '\n', installationId };
}

/** The one place that reads the process environment (and a local .env file, when present). */
export function loadAppConfigFromProcess(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadAppConfig(process.env);
}
