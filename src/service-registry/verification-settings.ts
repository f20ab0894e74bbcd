import { ValidationError } from '../../libs/errors';
import { spanText } from '../../libs/text';
import type { VerificationPlan } from '../deployments/deployment';
import { parseEnvironmentUrl } from './service.rules';
import type { Service } from './service';

export type { VerificationPlan };

/** What an admin gives `/service verify`: every field optional, as typed. */
export interface VerificationInput {
  url?: string;
  status?: number;
  body?: string;
  check?: string;
  soak?: string;
  interval?: string;
  failures?: number;
  autoRollback?: 'on' | 'off';
  onRunFailure?: boolean;
}

export const VERIFY_DEFAULTS = {
  expectStatus: 200,
  soakMs: 10 * 60_000,
  intervalMs: 30_000,
  failuresToFail: 3,
} as const;

export const VERIFY_LIMITS = {
  soakMs: { min: 0, max: 7 * 24 * 3_600_000 },
  intervalMs: { min: 1_000, max: 3_600_000 },
  failures: { min: 1, max: 20 },
  body: 200,
  check: 100,
} as const;

const SPAN = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/;

/** `30s`, `10m`, `1h30m`, `2d`, `0s`: a span of time as people write it; undefined otherwise. */
export function parseSpan(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase().replace(/\s+/g, '');
  const match = SPAN.exec(trimmed);
  if (!match || !trimmed) return undefined;
  const [, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return (((d * 24 + h) * 60 + m) * 60 + s) * 1_000;
}

/** `1h 30m`, `45s`, `0s`: a span written back. */
export const formatSpan = spanText;

function spanWithin(name: string, text: string, limits: { min: number; max: number }): number {
  const ms = parseSpan(text);
  if (ms === undefined || ms < limits.min || ms > limits.max)
    throw new ValidationError(
      `Invalid ${name}: a span such as 30s, 10m or 1h30m, from ${formatSpan(limits.min)} to ${formatSpan(limits.max)}.`,
    );
  return ms;
}

/** `min-soak` of a promotion: a span up to 30 days, or "none" (null). */
export function parseMinSoak(value: string): number | null {
  if (value.trim().toLowerCase() === 'none') return null;
  return spanWithin('min-soak', value, { min: 60_000, max: 30 * 24 * 3_600_000 });
}

/** A check's name as in the CI gate (`smoke` or `smoke@github-actions`): no backticks, no controls. */
function parseCheck(value: string): string {
  const name = value.trim();
  if (
    !name ||
    name.length > VERIFY_LIMITS.check ||
    name.includes('`') ||
    [...name].some((c) => c < ' ')
  )
    throw new ValidationError(
      `Invalid check: one check name (or name@app-slug), up to ${VERIFY_LIMITS.check} characters, no backticks.`,
    );
  return name;
}

/**
 * The plan `/service verify` sets: the input over what the target has (or the defaults). A URL
 * is http(s) without credentials; its host is checked again on every probe (VERIFY_ALLOWED_HOSTS).
 * It needs a URL or a check; `on-run-failure` needs `auto-rollback:on`.
 */
export function parseVerification(
  current: VerificationPlan | undefined,
  input: VerificationInput,
): VerificationPlan {
  const base: VerificationPlan = current ?? {
    ...VERIFY_DEFAULTS,
    autoRollback: false,
    onRunFailure: false,
  };
  const plan: VerificationPlan = { ...base };
  if (input.url !== undefined) {
    const url = input.url.trim().toLowerCase() === 'none' ? null : parseEnvironmentUrl(input.url);
    if (url) plan.url = url;
    else delete plan.url;
  }
  if (input.status !== undefined) {
    if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599)
      throw new ValidationError('Invalid status: an HTTP status from 100 to 599.');
    plan.expectStatus = input.status;
  }
  if (input.body !== undefined) {
    const body = input.body.trim();
    if (body.length > VERIFY_LIMITS.body || [...body].some((c) => c < ' '))
      throw new ValidationError(
        `Invalid body: plain text up to ${VERIFY_LIMITS.body} characters on one line, or "none".`,
      );
    if (!body || body.toLowerCase() === 'none') delete plan.bodyContains;
    else plan.bodyContains = body;
  }
  if (input.check !== undefined) {
    if (input.check.trim().toLowerCase() === 'none') delete plan.check;
    else plan.check = parseCheck(input.check);
  }
  if (input.soak !== undefined) plan.soakMs = spanWithin('soak', input.soak, VERIFY_LIMITS.soakMs);
  if (input.interval !== undefined)
    plan.intervalMs = spanWithin('interval', input.interval, VERIFY_LIMITS.intervalMs);
  if (input.failures !== undefined) {
    const { min, max } = VERIFY_LIMITS.failures;
    if (!Number.isInteger(input.failures) || input.failures < min || input.failures > max)
      throw new ValidationError(
        `Invalid failures: a number of probes in a row from ${min} to ${max}.`,
      );
    plan.failuresToFail = input.failures;
  }
  if (input.autoRollback !== undefined) plan.autoRollback = input.autoRollback === 'on';
  if (input.onRunFailure !== undefined) plan.onRunFailure = input.onRunFailure;
  if (!plan.url && !plan.check)
    throw new ValidationError(
      'Nothing proves a deployment healthy: give url (an http(s) address to probe), check (a check on the deployed commit), or both.',
    );
  if (plan.onRunFailure && !plan.autoRollback)
    throw new ValidationError('on-run-failure rolls back a failed run: it needs auto-rollback:on.');
  return plan;
}

/** What the target verifies after a run, if anything. */
export function verificationOf(
  service: Service,
  environment: string,
): VerificationPlan | undefined {
  return service.targets?.[environment]?.verification;
}

/** A URL as shown: without its query and fragment (they may carry a token). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(invalid address)';
  }
}

/** One line per setting, for /service show and the command's answer. */
export function verificationLines(plan: VerificationPlan): string[] {
  return [
    ...(plan.url
      ? [
          `Probe ${shownUrl(plan.url)}: expects ${plan.expectStatus}${plan.bodyContains ? `, body containing "${plan.bodyContains}"` : ''}`,
        ]
      : []),
    ...(plan.check ? [`Check on the deployed commit: ${plan.check}`] : []),
    `Soak ${formatSpan(plan.soakMs)}, a probe every ${formatSpan(plan.intervalMs)}, fails after ${plan.failuresToFail} failed probe(s) in a row`,
    `Automatic rollback: ${plan.autoRollback ? `on${plan.onRunFailure ? ' (also when the run fails)' : ''}` : 'off'}`,
  ];
}
