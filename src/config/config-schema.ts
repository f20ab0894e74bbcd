import Joi from 'joi';
import { ConnectionString } from 'mongodb-connection-string-url';

/**
 * The environment the app reads, as one Joi schema (the only list of variables: .env.example
 * and docs/configuration.md are checked against it), and each problem it finds in plain words
 * that name the variable, never its value.
 */

const SNOWFLAKE = /^\d{17,20}$/;

/** `24h`, `2d`: whole hours or days, from 1 hour to 30 days; undefined for anything else. */
export function failureWindowHours(value: string): number | undefined {
  const match = /^(\d{1,4})(h|d)$/.exec(value);
  if (!match) return undefined;
  const hours = Number(match[1]) * (match[2] === 'd' ? 24 : 1);
  return hours >= 1 && hours <= 720 ? hours : undefined;
}

const snowflakeList = Joi.string()
  .empty('')
  .custom((value: string, helpers) => {
    const ids = value
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    return ids.every((id) => SNOWFLAKE.test(id)) ? ids : helpers.error('list.snowflakes');
  });

/** Host names, IP addresses or CIDR ranges a verification probe may reach although private. */
const hostList = Joi.string()
  .empty('')
  .custom((value: string, helpers) => {
    const hosts = value
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean);
    return hosts.every((host) => /^[a-z0-9.:[\]-]{1,253}(\/\d{1,3})?$/.test(host))
      ? hosts
      : helpers.error('list.hosts');
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

export const schema = Joi.object({
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
  COMMAND_CONCURRENCY: Joi.number().integer().min(1).max(64).default(1),
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
  QUEUE_TTL_MS: Joi.number()
    .integer()
    .min(60_000)
    .max(7 * 24 * 3_600_000)
    .default(86_400_000),
  QUEUE_MAX_PER_TARGET: Joi.number().integer().min(1).max(50).default(20),
  AUDIT_RETENTION_DAYS: Joi.number().integer().min(1).max(36_500).default(365),
  VERIFY_ALLOWED_HOSTS: hostList.default([]),
  VERIFY_PROBE_TIMEOUT_MS: Joi.number().integer().min(500).max(30_000).default(5_000),
  DORA_FAILURE_WINDOW: Joi.string()
    .trim()
    .lowercase()
    .custom((value: string, helpers) =>
      failureWindowHours(value) === undefined ? helpers.error('span.hours') : value,
    )
    .default('24h'),
})
  .and('GITHUB_OWNER', 'GITHUB_REPO')
  .oxor('GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_PRIVATE_KEY_PATH')
  .unknown(true);

/** Every variable the app reads. */
export const CONFIG_VARIABLES: string[] = Object.keys(
  (schema.describe() as { keys: Record<string, unknown> }).keys,
);

/** What is wrong, by variable name, without ever repeating the value. */
export function describeProblem(detail: Joi.ValidationErrorItem): string {
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
    case 'span.hours':
      return `${name} must be a span of hours or days, from 1h to 30d (24h, 2d)`;
    case 'list.hosts':
      return `${name} must be a comma-separated list of host names, IP addresses or CIDR ranges`;
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

export const validationMessages = {
  'list.snowflakes': '{{#label}} must be a list of Discord ids',
  'list.hosts': '{{#label}} must be a list of host names, IP addresses or CIDR ranges',
  'mongo.uri': '{{#label}} is not a valid MongoDB connection string',
  'url.insecure': '{{#label}} must use https in production',
  'span.hours': '{{#label}} must be a span of hours or days (24h, 2d)',
};
