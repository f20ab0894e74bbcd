import { AppError } from '../../libs/errors';
import { redactCredentials } from '../logging/scrub-secrets';

export class GithubError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly status?: number,
  ) {
    super(code, message, 502);
  }
}

export class MemberBudgetError extends AppError {
  constructor(limit: number, retryInS: number) {
    super(
      'GITHUB.MEMBER_BUDGET',
      `You have used the ${limit} GitHub requests one member may cause in a minute; try again in ${retryInS} s.`,
      429,
    );
  }
}

/**
 * Turns an Octokit failure into a plain sentence about `what` (never a stack or a token). The
 * bot's own refusals raised on the way (a member's spent budget) pass through unchanged.
 */
export function translateGithubError(
  error: unknown,
  what: string,
  identity: 'token' | 'app' = 'token',
): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: number }).status;
  const headers = (error as { response?: { headers?: Record<string, string> } }).response?.headers;
  const url = String((error as { request?: { url?: string } }).request?.url ?? '');
  if (identity === 'app' && /\/app\/installations\/\d+\/access_tokens$/.test(url)) {
    return status === 401
      ? new GithubError(
          'GITHUB.BAD_CREDENTIALS',
          'GitHub rejected the GitHub App (401). Check GITHUB_APP_ID and its private key.',
          status,
        )
      : new GithubError(
          'GITHUB.APP_NOT_INSTALLED',
          `GitHub would not give the App a token for ${what} (${status ?? 'no answer'}): the installation may have been removed or suspended.`,
          status,
        );
  }
  switch (status) {
    case 401:
      return new GithubError(
        'GITHUB.BAD_CREDENTIALS',
        identity === 'app'
          ? 'GitHub rejected the GitHub App (401). Check GITHUB_APP_ID and its private key.'
          : 'GitHub rejected the bot token (401). Check GITHUB_TOKEN.',
        status,
      );
    case 403:
    case 429:
      if (status === 429 || headers?.['x-ratelimit-remaining'] === '0') {
        return new GithubError(
          'GITHUB.RATE_LIMITED',
          'GitHub rate limit reached; try again in a few minutes.',
          status,
        );
      }
      return new GithubError(
        'GITHUB.FORBIDDEN',
        identity === 'app'
          ? `The GitHub App lacks a permission for ${what} (403): grant it in the App's settings (docs/setup.md lists them) and accept it on the installation.`
          : `The bot token is not allowed to access ${what} (403).`,
        status,
      );
    case 404:
      return new GithubError(
        'GITHUB.NOT_FOUND',
        identity === 'app'
          ? `GitHub could not find ${what}, or the GitHub App's installation cannot see it.`
          : `GitHub could not find ${what}, or the token cannot see it.`,
        status,
      );
    case 422:
      return new GithubError(
        'GITHUB.UNPROCESSABLE',
        `GitHub refused the request for ${what}: ${githubMessage(error)}`,
        status,
      );
    default:
      // A 5xx GitHub (or a proxy) answered; without an answer (a refused connection, a
      // timeout) GitHub was not reached.
      if (status && status >= 500 && (error as { response?: unknown }).response) {
        return new GithubError(
          'GITHUB.UNAVAILABLE',
          `GitHub is having trouble (${status}); try again shortly.`,
          status,
        );
      }
      return new GithubError(
        'GITHUB.UNREACHABLE',
        'GitHub could not be reached; try again shortly.',
        status,
      );
  }
}

/** GitHub's own message in an error answer, cut short. */
export function githubMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: string } } }).response?.data;
  // GitHub's words may echo what was sent: no credential reaches a message.
  return redactCredentials(data?.message ?? 'unprocessable request').slice(0, 200);
}

/** A GitHub failure that may pass by itself (an outage, a rate limit, no answer): worth a retry. */
export function mayPass(error: unknown): boolean {
  if (!(error instanceof AppError)) return true;
  return ['GITHUB.UNAVAILABLE', 'GITHUB.UNREACHABLE', 'GITHUB.RATE_LIMITED'].includes(error.code);
}
