import type { VerificationPlan, VerificationRecord } from '../deployments/deployment';
import { afterProbe, probeResult } from './verification.rules';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1_000);

function soaking(plan: Partial<VerificationPlan> = {}, record: Partial<VerificationRecord> = {}) {
  return {
    plan: {
      url: 'https://api.example.com/health',
      expectStatus: 200,
      soakMs: 60_000,
      intervalMs: 25_000,
      failuresToFail: 3,
      autoRollback: true,
      onRunFailure: false,
      ...plan,
    },
    state: 'verifying',
    startedAt: T0,
    soakUntil: at(60),
    probes: 0,
    failuresInRow: 0,
    ...record,
  } as VerificationRecord;
}

const healthy = (seconds: number) =>
  probeResult(at(seconds), { healthy: true, detail: 'answered 200 after 3 ms' }, undefined);
const unhealthy = (seconds: number) =>
  probeResult(at(seconds), { healthy: false, detail: 'answered 503, expected 200' }, undefined);

describe('afterProbe', () => {
  it('probes every interval, puts the last probe on the end of the soak, then verifies', () => {
    let record = soaking();
    const times: number[] = [];
    for (let now = 0; ;) {
      const step = afterProbe(record, healthy(now), at(now));
      record = { ...record, probes: step.probes, failuresInRow: step.failuresInRow };
      times.push(now);
      if (step.end) {
        expect(step.end).toEqual({
          state: 'verified',
          reason: 'healthy through a 1m soak (4 probes)',
        });
        break;
      }
      now = (step.nextProbeAt.getTime() - T0.getTime()) / 1_000;
    }
    // 0, 25, 50, and the soak's end at 60 (not 75).
    expect(times).toEqual([0, 25, 50, 60]);
  });

  it('fails after failures-to-fail unhealthy probes in a row, with the rollback due', () => {
    let record = soaking();
    const first = afterProbe(record, unhealthy(0), at(0));
    record = { ...record, probes: first.probes, failuresInRow: first.failuresInRow };
    // A healthy probe in between starts the count again.
    const recovered = afterProbe(record, healthy(5), at(5));
    expect(recovered.failuresInRow).toBe(0);
    record = { ...record, probes: recovered.probes, failuresInRow: 0 };
    for (const now of [10, 20]) {
      const step = afterProbe(record, unhealthy(now), at(now));
      expect(step.end).toBeUndefined();
      record = { ...record, probes: step.probes, failuresInRow: step.failuresInRow };
    }
    const third = afterProbe(record, unhealthy(30), at(30));
    const reason = '3 failed probes in a row (last: answered 503, expected 200)';
    expect(third.end).toEqual({ state: 'failed', reason, rollback: { state: 'due', reason } });
  });

  it('fails without a rollback when the target does not roll back automatically', () => {
    const record = soaking({ autoRollback: false, failuresToFail: 1 });
    expect(afterProbe(record, unhealthy(1), at(1)).end).toEqual({
      state: 'failed',
      reason: '1 failed probe in a row (last: answered 503, expected 200)',
    });
  });

  it('keeps probing an unhealthy deployment past the soak until it recovers or fails', () => {
    const record = soaking({}, { failuresInRow: 1, probes: 3 });
    const step = afterProbe(record, unhealthy(60), at(60));
    expect(step.end).toBeUndefined();
    expect(step.nextProbeAt).toEqual(at(85));
    const recovered = afterProbe({ ...record, failuresInRow: 2 }, healthy(85), at(85));
    expect(recovered.end?.state).toBe('verified');
  });

  it('fails a check that has not passed when the soak ends, and waits for one still running before', () => {
    const pending = (seconds: number) =>
      probeResult(at(seconds), undefined, {
        name: 'smoke',
        verdict: 'pending',
        detail: 'in_progress',
      });
    const record = soaking({ url: undefined, check: 'smoke' });
    const early = afterProbe(record, pending(10), at(10));
    expect(early.result.outcome).toBe('pending');
    expect(early.end).toBeUndefined();
    // Past the soak it gets failures-to-fail intervals more (3 × 25 s), then fails.
    expect(afterProbe(record, pending(60), at(60)).end).toBeUndefined();
    expect(afterProbe(record, pending(134), at(134)).end).toBeUndefined();
    expect(afterProbe(record, pending(135), at(135)).end).toMatchObject({
      state: 'failed',
      reason: 'the check had not passed 1m 15s after the soak ended (check smoke: in_progress)',
    });
  });
});

describe('probeResult', () => {
  it('is unhealthy when either part is, pending while the check runs, healthy when both pass', () => {
    const ok = { healthy: true, detail: 'answered 200 after 2 ms' };
    expect(probeResult(T0, ok, { name: 'e2e', verdict: 'passed', detail: 'success' })).toEqual({
      at: T0,
      outcome: 'healthy',
      detail: 'answered 200 after 2 ms; check e2e: success',
    });
    expect(
      probeResult(T0, { healthy: false, detail: 'no answer within 5000 ms' }, undefined).outcome,
    ).toBe('unhealthy');
    expect(probeResult(T0, ok, { name: 'e2e', verdict: 'failed', detail: 'failure' }).outcome).toBe(
      'unhealthy',
    );
    expect(probeResult(T0, ok, { name: 'e2e', verdict: 'unknown', detail: 'x' }).outcome).toBe(
      'pending',
    );
  });
});
