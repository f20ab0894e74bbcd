import { existsSync } from 'node:fs';
import { describeProblem, failureWindowHours, schema, validationMessages } from './config-schema';
import { GithubIdentity, githubIdentity, githubWebHost } from './github-identity';

export type { GithubIdentity };

export { CONFIG_VARIABLES } from './config-schema';
export { githubWebHost };

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
    /** Commands whose work after the acknowledgement runs at once (CommandTurns). */
    commandConcurrency: number;
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
  /** The queue of each target: how long an entry waits at most, and how many may wait. */
  queue!: { ttlMs: number; maxPerTarget: number };
  audit!: { retentionDays: number };
  /**
   * Verification probes: the hosts they may reach although private or loopback (names, IPs or
   * CIDR ranges), and how long one may take.
   */
  verify!: { allowedHosts: string[]; probeTimeoutMs: number };
  /** The delivery metrics: how long after a deployment a rollback or fault report fails it. */
  delivery!: { failureWindowMs: number };

  /** Every secret value, so log output can be scrubbed of them whatever path they take. */
  secrets(): string[] {
    const identity = this.github.identity;
    const github = identity.kind === 'token' ? identity.token : identity.privateKey;
    return [this.discord.token, github, this.webhook.secret].filter(
      (value): value is string => typeof value === 'string' && value.length >= 4,
    );
  }
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Validates the whole environment at once; throws with every problem, never a value. */
export function loadAppConfig(env: Record<string, string | undefined>): AppConfig {
  const { error, value } = schema.validate(env, {
    abortEarly: false,
    convert: true,
    messages: validationMessages,
  });
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
      commandConcurrency: v.COMMAND_CONCURRENCY,
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
    queue: { ttlMs: v.QUEUE_TTL_MS, maxPerTarget: v.QUEUE_MAX_PER_TARGET },
    audit: { retentionDays: v.AUDIT_RETENTION_DAYS },
    verify: { allowedHosts: v.VERIFY_ALLOWED_HOSTS, probeTimeoutMs: v.VERIFY_PROBE_TIMEOUT_MS },
    delivery: { failureWindowMs: failureWindowHours(v.DORA_FAILURE_WINDOW)! * 3_600_000 },
  });
}

/** The one place that reads the process environment (and a local .env file, when present). */
export function loadAppConfigFromProcess(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadAppConfig(process.env);
}
