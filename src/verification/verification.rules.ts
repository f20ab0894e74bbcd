import type { ProbeResult, VerificationRecord } from '../deployments/deployment';
import { formatSpan } from '../service-registry/verification-settings';

/** What one probe changes (see DeploymentVerificationRepository.recordProbe). */
export interface ProbeStep {
  result: ProbeResult;
  probes: number;
  failuresInRow: number;
  nextProbeAt: Date;
  end?: {
    state: 'verified' | 'failed';
    reason: string;
    rollback?: { state: 'due'; reason: string };
  };
}

/** The URL's answer and the check's verdict, as one probe. */
export function probeResult(
  at: Date,
  http: { healthy: boolean; detail: string } | undefined,
  check:
    | { name: string; verdict: 'passed' | 'pending' | 'failed' | 'unknown'; detail: string }
    | undefined,
): ProbeResult {
  const parts: string[] = [];
  if (http) parts.push(http.detail);
  if (check) parts.push(`check ${check.name}: ${check.detail}`);
  const unhealthy = (http && !http.healthy) || check?.verdict === 'failed';
  // A check still running (or that cannot be read now) is neither: the soak waits for it.
  const pending = !unhealthy && check && check.verdict !== 'passed';
  return {
    at,
    outcome: unhealthy ? 'unhealthy' : pending ? 'pending' : 'healthy',
    detail: parts.join('; '),
  };
}

/**
 * A probe's effect on a soaking deployment: `failuresToFail` unhealthy probes in a row fail it
 * (with an automatic rollback due when the plan says so); once the soak is over, a healthy probe
 * verifies it, and a check that has still not passed `failuresToFail` intervals later fails it. Until then the next probe is an
 * interval later, and the last one falls on the soak's end.
 */
export function afterProbe(record: VerificationRecord, result: ProbeResult, now: Date): ProbeStep {
  const { plan } = record;
  const probes = record.probes + 1;
  const failuresInRow =
    result.outcome === 'unhealthy'
      ? record.failuresInRow + 1
      : result.outcome === 'healthy'
        ? 0
        : record.failuresInRow;
  const soakUntil = record.soakUntil ?? now;
  const next = new Date(now.getTime() + plan.intervalMs);
  const nextProbeAt = now < soakUntil && next > soakUntil ? soakUntil : next;
  const step = { result, probes, failuresInRow, nextProbeAt };
  const fail = (reason: string): ProbeStep => ({
    ...step,
    end: {
      state: 'failed',
      reason,
      ...(plan.autoRollback ? { rollback: { state: 'due', reason } } : {}),
    },
  });
  if (failuresInRow >= plan.failuresToFail)
    return fail(
      `${failuresInRow} failed probe${failuresInRow === 1 ? '' : 's'} in a row (last: ${result.detail})`,
    );
  if (now < soakUntil) return step;
  if (result.outcome === 'healthy')
    return {
      ...step,
      end: {
        state: 'verified',
        reason: `healthy through a ${formatSpan(plan.soakMs)} soak (${probes} probe${probes === 1 ? '' : 's'})`,
      },
    };
  // A check still running, or GitHub not answering, gets as long past the soak as failing
  // probes would: a GitHub outage alone does not fail a deployment at the soak's end.
  const graceUntil = soakUntil.getTime() + plan.intervalMs * plan.failuresToFail;
  if (result.outcome === 'pending' && now.getTime() >= graceUntil)
    return fail(
      `the check had not passed ${formatSpan(graceUntil - soakUntil.getTime())} after the soak ended (${result.detail})`,
    );
  return step;
}
