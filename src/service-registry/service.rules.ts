import { ValidationError } from '../../libs/errors';
import { plainText } from '../../libs/text';
import type { OutsideRuns, Service } from './service';

/** Naming rules, checked before anything is written. Messages name the field. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** GitHub user and organisation names. */
export const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** GitHub repository names. */
export const GITHUB_REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
/** A workflow file name in .github/workflows, or its numeric id. */
export const WORKFLOW = /^(?:[A-Za-z0-9._-]{1,100}\.ya?ml|\d{1,20})$/;
/** Branch or tag names (git check-ref-format, simplified) and SHAs. */
export const GIT_REF = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|.*\.$)[A-Za-z0-9._\-/]{1,200}$/;
/** Workflow input names. */
export const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

const MAX_REQUIRED_CHECKS = 20;

/** Check names, comma-separated: a check run's name or a commit status's context. */
export function parseCheckNames(value: string): string[] {
  const names = [
    ...new Set(
      value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  if (names.length > MAX_REQUIRED_CHECKS)
    throw new ValidationError(`Invalid checks: at most ${MAX_REQUIRED_CHECKS}.`);
  const bad = names.find(
    (name) => name.length > 100 || name.includes('`') || [...name].some((c) => c < ' '),
  );
  if (bad !== undefined)
    throw new ValidationError('Invalid checks: each name up to 100 characters, no backticks.');
  return names;
}

/** An environment's address: a plain http(s) URL without credentials, or "none" (null). */
export function parseEnvironmentUrl(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'none') return null;
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    !['http:', 'https:'].includes(url.protocol) ||
    url.username ||
    url.password ||
    trimmed.length > 500 ||
    /[\s<>`]/.test(trimmed)
  )
    throw new ValidationError(
      'Invalid url: a web address such as https://staging.example.com (no credentials, at most 500 characters), or "none".',
    );
  return trimmed;
}

/**
 * The environment a commit must have succeeded on before `environment`, or "none" (null). It
 * must be another of the service's environments, and the order may not loop back.
 */
export function parsePromoteFrom(
  service: Service,
  environment: string,
  value: string,
): { from: string | null; chain: Record<string, string | null> } {
  const from = value.trim().toLowerCase();
  if (from === 'none') return { from: null, chain: {} };
  if (!service.environments.includes(from) || from === environment)
    throw new ValidationError(
      `Invalid promote-from: one of ${service.environments.filter((env) => env !== environment).join(', ') || 'no other environment'}, or "none".`,
    );
  const seen = new Set([environment]);
  // The order as read, hop by hop: the update holds only while it is still so (no loop by a race).
  const chain: Record<string, string | null> = {};
  for (let at: string | undefined = from; at; at = service.targets?.[at]?.promoteFrom) {
    if (seen.has(at))
      throw new ValidationError(
        `Invalid promote-from: ${from} already has to come after ${environment}, so nothing could be deployed to either.`,
      );
    seen.add(at);
    chain[at] = service.targets?.[at]?.promoteFrom ?? null;
  }
  return { from, chain };
}

/**
 * `/service outside-runs`: what to do with a request for an unknown environment, and (when
 * given) where a run started outside Discord deploys: `deployments`, or `fixed` with an
 * environment of the service.
 */
export function parseOutsideRuns(
  service: Service,
  input: { unknownEnvironments: string; environmentFrom?: string; environment?: string },
): OutsideRuns {
  const unknownEnvironments = input.unknownEnvironments.trim().toLowerCase();
  if (unknownEnvironments !== 'reject' && unknownEnvironments !== 'ignore')
    throw new ValidationError('Invalid unknown-environments: reject or ignore.');
  const from = input.environmentFrom?.trim().toLowerCase();
  const environment = input.environment?.trim().toLowerCase() || undefined;
  if (from !== 'fixed' && environment !== undefined)
    throw new ValidationError('Invalid environment: it goes with environment-from:fixed only.');
  if (from === undefined) return { unknownEnvironments };
  if (from === 'deployments') return { unknownEnvironments, environmentFrom: 'deployments' };
  if (from !== 'fixed')
    throw new ValidationError('Invalid environment-from: deployments or fixed.');
  const listed = service.environments.join(', ');
  if (environment === undefined)
    throw new ValidationError(
      `Invalid environment: with environment-from:fixed, name the environment every run started outside the bot deploys to (${listed}).`,
    );
  if (!service.environments.includes(environment))
    throw new ValidationError(
      `Invalid environment: "${plainText(environment, 32)}" is not an environment of ${service.name} (${listed}).`,
    );
  return { unknownEnvironments, environmentFrom: { fixed: environment } };
}
