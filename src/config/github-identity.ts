import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

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
export function githubIdentity(v: Record<string, never>): GithubIdentity | string {
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
