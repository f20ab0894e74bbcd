import { Logger } from '@nestjs/common';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
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
 * Counts every HTTP attempt, retries included. Registered as the first plugin so that its hook
 * sits innermost, under the retry and throttling plugins.
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

const ChatopsOctokit = Octokit.plugin(chargeMembers, countRequests, throttling, retry);
export type ChatopsOctokit = InstanceType<typeof ChatopsOctokit>;

export interface OctokitOptions {
  /** Base of the retry plugin's quadratic wait, in ms (0 in tests). */
  retryAfterBaseValue?: number;
  /** Retries allowed after a primary or secondary rate limit answer. */
  rateLimitRetries?: number;
  /** Charges a request made on behalf of a member; throws when their budget is spent. */
  chargeMember?: MemberCharge;
}

/**
 * The Octokit every GitHub request goes through: the token, the budget charged per member, the
 * request counter, and the throttling and retry plugins with the bot's limits.
 */
export function createOctokit(
  config: AppConfig,
  metrics: AppMetrics,
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
    auth: config.github.token,
    baseUrl: config.github.apiUrl,
    userAgent: USER_AGENT,
    countRequest: (route: string, status: string) => metrics.githubRequests.inc({ route, status }),
    chargeMember: options.chargeMember,
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    // The plugin's own list (400, 401, 403, 404, 410, 422, 451) plus 409: a conflict (a run
    // that already finished) does not change by asking again.
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
