import { Logger } from '@nestjs/common';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubBudget, isUnheld, pointsOf } from './github-budget';
import { currentMember } from './member-context';

export const USER_AGENT = 'chatops-deploy-bot/0.1';
const MAX_RATE_LIMIT_WAIT_S = 10;

type RequestCounter = (route: string, status: string) => void;
type MemberCharge = (memberId: string) => Promise<void>;

/**
 * Charges every HTTP attempt made on behalf of a member (see member-context.ts) to that member's
 * budget before it is sent: one person cannot drain the token's rate limit for everyone.
 */
function chargeMembers(octokit: { hook: Octokit['hook'] }, options: object) {
  const charge = (options as { chargeMember?: MemberCharge }).chargeMember;
  if (!charge) return;
  octokit.hook.before('request', async () => {
    const member = currentMember();
    if (member) await charge(member);
  });
}

/**
 * Every attempt has a deadline (`requestTimeoutMs`): a request GitHub never answers fails as an
 * unknown outcome instead of holding a lease, a command or a shutdown forever. Registered first,
 * so its hook sits innermost: each retry gets a deadline of its own, and time spent waiting in
 * the throttling plugin's queue does not count against it.
 */
function boundAttempts(octokit: { hook: Octokit['hook'] }, options: object) {
  const timeoutMs = (options as { requestTimeoutMs?: number }).requestTimeoutMs;
  if (!timeoutMs) return;
  octokit.hook.before('request', (route) => {
    const request = (route.request ?? {}) as { signal?: AbortSignal };
    const deadline = AbortSignal.timeout(timeoutMs);
    // A caller's own deadline (a shorter wait) holds as well.
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    route.request = { ...request, signal } as typeof route.request;
  });
}

/** Methods GitHub never changes anything for: the only ones sent again after an unclear answer. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * A write is never sent again blindly: a 5xx, a timeout or a dropped connection after GitHub
 * accepted it would do it twice (a second workflow run, a second deployment). The retry plugin
 * re-sends only GET and HEAD; a write whose answer was lost is its caller's to resolve (look for
 * what it created). Rate-limit refusals are not such answers: GitHub did nothing, and the
 * throttling plugin may wait and send again. Registered last, so it runs before the retry plugin.
 */
function noBlindWrites(octokit: { hook: Octokit['hook'] }) {
  octokit.hook.before('request', (route) => {
    if (SAFE_METHODS.has(String(route.method).toUpperCase())) return;
    route.request = { ...(route.request ?? {}), retries: 0 } as typeof route.request;
  });
}

/**
 * Counts every HTTP attempt, retries included. Registered among the first plugins so that its
 * hook sits innermost, under the retry and throttling plugins.
 */
function countRequests(octokit: { hook: Octokit['hook'] }, options: object) {
  const count = (options as { countRequest?: RequestCounter }).countRequest;
  if (!count) return;
  octokit.hook.wrap('request', async (request, route) => {
    try {
      const response = await request(route);
      count(String(route.url), String(response.status));
      return response;
    } catch (error) {
      count(String(route.url), String((error as { status?: number }).status ?? 'network_error'));
      throw error;
    }
  });
}

/**
 * An installation token GitHub no longer accepts (revoked, or expired while the bot's clock was
 * behind) is replaced once: the request is sent again with a fresh token. Registered after the
 * App's auth hook, so it sits outside it.
 */
function refreshRejectedTokens(octokit: Pick<Octokit, 'hook' | 'auth'>, options: object) {
  if (!(options as { installationId?: number }).installationId) return;
  octokit.hook.wrap('request', async (request, route) => {
    // The App's own routes (token creation among them) are signed with its key: a new token
    // cannot help there, and asking for one from inside its own creation would wait forever.
    if (/^(?:[A-Z]+ )?\/app\//.test(String(route.url))) return request(route);
    try {
      return await request(route);
    } catch (error) {
      if ((error as { status?: number }).status !== 401) throw error;
      await octokit.auth({ type: 'installation', refresh: true });
      return request(route);
    }
  });
}

/**
 * The App's own requests (finding an installation, creating its token): commands wait on them
 * too (lookups are shared), so they are never held.
 */
function isAppRoute(url: string): boolean {
  return /^(?:[A-Z]+ )?\/(?:app\/|repos\/[^/]+\/[^/]+\/installation$)/.test(url);
}

/**
 * Spends the bot's GitHub budget (github-budget.ts) before a request joins Octokit's queues: a
 * member's request is counted and goes; the bot's own waits for room. Registered last, so that
 * its hook runs first and a waiting request holds none of the throttling plugin's slots.
 */
function spendBudget(octokit: { hook: Octokit['hook'] }, options: object) {
  const budget = (options as { budget?: GithubBudget }).budget;
  if (!budget) return;
  octokit.hook.before('request', async (route) => {
    const points = pointsOf(String(route.method));
    if (currentMember() || isUnheld() || isAppRoute(String(route.url)))
      budget.spendForCommand(points);
    else await budget.spendForBackground(points);
  });
}

const ChatopsOctokit = Octokit.plugin(
  boundAttempts,
  chargeMembers,
  countRequests,
  throttling,
  retry,
  refreshRejectedTokens,
  spendBudget,
  noBlindWrites,
);
export type ChatopsOctokit = InstanceType<typeof ChatopsOctokit>;

export interface OctokitOptions {
  /** Base of the retry plugin's quadratic wait, in ms (0 in tests). */
  retryAfterBaseValue?: number;
  /** Retries allowed after a primary or secondary rate limit answer. */
  rateLimitRetries?: number;
  /** Charges a request made on behalf of a member; throws when their budget is spent. */
  chargeMember?: MemberCharge;
  /** The bot's budget under GitHub's secondary rate limit, shared by all its Octokits. */
  budget?: GithubBudget;
}

/**
 * As whom an Octokit speaks: the configured token, the GitHub App itself (a JWT, for finding
 * installations), or one installation of it (installation tokens, created and refreshed by
 * @octokit/auth-app).
 */
export type OctokitIdentity =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: number; privateKey: string; installationId?: number; clock: Clock };

/** Tokens are renewed this long before they expire. */
export const TOKEN_RENEWAL_MARGIN_MS = 5 * 60_000;

/**
 * @octokit/auth-app's token cache, keyed by installation, honouring each token's own lifetime
 * (`expires_at` less the moment it was created) as measured on the app's clock from the moment
 * it was stored, so a clock that differs from GitHub's neither keeps a dead token nor renews on
 * every request (auth-app's default cache keeps a token 59 minutes whatever GitHub said). A value
 * is `token|createdAt|expiresAt|…` (auth-app's cache format; pinned by a spec).
 */
export function installationTokenCache(clock: Clock) {
  const entries = new Map<string, { value: string; renewAt: number }>();
  return {
    get(key: string): string | undefined {
      const entry = entries.get(key);
      if (entry && entry.renewAt > clock.now().getTime()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: string): void {
      const [, createdAt, expiresAt] = value.split('|');
      const lifetimeMs = Date.parse(expiresAt ?? '') - Date.parse(createdAt ?? '');
      if (!(lifetimeMs > TOKEN_RENEWAL_MARGIN_MS)) return;
      entries.set(key, {
        value,
        renewAt: clock.now().getTime() + lifetimeMs - TOKEN_RENEWAL_MARGIN_MS,
      });
    },
  };
}

function authOptions(identity: OctokitIdentity): object {
  if (identity.kind === 'token') return { auth: identity.token };
  return {
    authStrategy: createAppAuth,
    auth: {
      appId: identity.appId,
      privateKey: identity.privateKey,
      ...(identity.installationId ? { installationId: identity.installationId } : {}),
      cache: installationTokenCache(identity.clock),
    },
    installationId: identity.installationId,
  };
}

/**
 * The Octokit every GitHub request goes through: the token, the budget charged per member, the
 * request counter, and the throttling and retry plugins with the bot's limits.
 */
export function createOctokit(
  config: AppConfig,
  metrics: AppMetrics,
  identity: OctokitIdentity,
  options: OctokitOptions = {},
): ChatopsOctokit {
  const logger = new Logger('GitHub');
  const rateLimitRetries = options.rateLimitRetries ?? 1;
  // Wait out a short limit once; a long one is reported at once (a command cannot hang for an hour).
  const onLimit =
    (kind: string) =>
    (retryAfter: number, _options: object, _octokit: unknown, retryCount: number) => {
      const again = retryCount < rateLimitRetries && retryAfter <= MAX_RATE_LIMIT_WAIT_S;
      logger.warn(
        `GitHub ${kind} rate limit hit; ${again ? `retrying in ${retryAfter} s` : 'giving up'}`,
      );
      return again;
    };
  return new ChatopsOctokit({
    ...authOptions(identity),
    baseUrl: config.github.apiUrl,
    userAgent: USER_AGENT,
    requestTimeoutMs: config.github.requestTimeoutMs,
    countRequest: (route: string, status: string) => metrics.githubRequests.inc({ route, status }),
    chargeMember: options.chargeMember,
    budget: options.budget,
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    // The plugin's own list (400, 401, 403, 404, 410, 422, 451) plus 409: a conflict (a run
    // that already finished) does not change by asking again. Writes are never retried here
    // (noBlindWrites).
    retry: {
      retryAfterBaseValue: options.retryAfterBaseValue ?? 1000,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
    },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.debug(message),
    },
  } as ConstructorParameters<typeof ChatopsOctokit>[0]);
}
