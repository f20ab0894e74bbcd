import type { DeliveryFact } from '../deployments/deployment-history.repository';
import {
  DAY_MS,
  HOUR_MS,
  bandsOf,
  deliveryFigures,
  percentile,
  weeklySeries,
} from './delivery.rules';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * HOUR_MS);

function aFact(id: string, finishedHour: number, extra: Partial<DeliveryFact> = {}): DeliveryFact {
  return {
    id,
    environment: 'prod',
    ref: 'main',
    sha: `${id}sha`,
    status: 'success',
    requester: 'Ada',
    createdAt: at(finishedHour - 1),
    finishedAt: at(finishedHour),
    ...extra,
  };
}

/**
 * A 14-day period (hours 0 … 336) of one production target:
 * - d1 succeeds at hour 10; its two commits are dated hours 4 and 8 → lead times 6 h and 2 h.
 * - d2 succeeds at hour 30 and fails its verification; r1, a rollback of d2, succeeds at hour 31.
 * - d3 succeeds at hour 50, is reported faulty at hour 60 (within 24 h); d4 (a hotfix) succeeds at
 *   hour 62. One commit of d3 is dated hour 40 → 10 h; one dated hour 55 is after its success
 *   (a wrong clock): left out.
 * - d5's run fails at hour 70 (a failed run, not a change).
 * - d6 succeeds at hour 100, reported faulty at hour 200: too late (76 h > 24 h), not a failure.
 * - d0 succeeded before the period (hour -5): outside it.
 */
function history(): DeliveryFact[] {
  return [
    aFact('d0', -5),
    aFact('d1', 10),
    aFact('d2', 30, { verification: 'failed' }),
    aFact('r1', 31, { rollbackOf: 'd2', createdAt: at(30.5) }),
    aFact('d3', 50, { faultAt: at(60) }),
    aFact('d4', 62, { hotfix: true }),
    aFact('d5', 70, { status: 'failure' }),
    aFact('d6', 100, { faultAt: at(200) }),
  ];
}

const input = {
  facts: history(),
  commitDates: new Map([
    ['d1', [at(4), at(8)]],
    ['d3', [at(40), at(55)]],
    ['d4', [at(61)]],
  ]),
  period: { from: at(0), to: at(336) },
  failureWindowMs: 24 * HOUR_MS,
};

describe('delivery figures', () => {
  it('counts successful deployments (rollbacks included) and their spacing', () => {
    const { frequency } = deliveryFigures(input);
    // d1, d2, r1, d3, d4, d6 = 6 in 2 weeks = 3 a week.
    expect(frequency.deployments).toBe(6);
    expect(frequency.perWeek).toBe(3);
    // Intervals: 20, 1, 19, 12, 38 h → sorted 1, 12, 19, 20, 38 → median 19 h.
    expect(frequency.medianIntervalMs).toBe(19 * HOUR_MS);
  });

  it('measures lead time per commit, leaving out unknown deployments and future-dated commits', () => {
    const { leadTime } = deliveryFigures(input);
    // d1: 6, 2; d3: 10 (hour 55 left out); d4: 1 → 1, 2, 6, 10 → median 4 h;
    // p90: rank 0.9 × 3 = 2.7 → 6 + 0.7 × 4 = 8.8 h. d2 and d6 have no commits read.
    expect(leadTime.commits).toBe(4);
    expect(leadTime.medianMs).toBe(4 * HOUR_MS);
    expect(leadTime.p90Ms).toBeCloseTo(8.8 * HOUR_MS);
    expect(leadTime.futureDated).toBe(1);
    expect(leadTime.unknown).toBe(2);
  });

  it('fails changes that were rolled back, failed verification or were reported faulty in the window', () => {
    const { changeFail } = deliveryFigures(input);
    // Changes: d1, d2, d3, d4, d6 (r1 is a rollback). Failed: d2 (verification and rollback),
    // d3 (fault at +10 h). d6's fault came after 100 h: not counted. 2 of 5 = 40 %.
    expect(changeFail).toEqual({ failed: 2, changes: 5, rate: 0.4, failedRuns: 1 });
  });

  it('measures recovery to the next successful deployment that did not fail itself', () => {
    const { recovery } = deliveryFigures(input);
    // d2 failed from hour 30 → r1 at 31: 1 h. d3 failed from its report at hour 60 → d4 at 62:
    // 2 h. Median of 1 and 2 = 1.5 h.
    expect(recovery).toEqual({ medianMs: 1.5 * HOUR_MS, recovered: 2, unrecovered: 0 });
  });

  it('counts rollbacks and hotfixes as rework', () => {
    const { rework } = deliveryFigures(input);
    // r1 and d4 of 6 successful deployments = 1/3.
    expect(rework).toEqual({ rollbacks: 1, hotfixes: 1, deployments: 6, rate: 2 / 6 });
  });

  it('places the figures in DORA bands', () => {
    // 3 a week: high; lead 4 h: elite; 40 %: low; recovery 1.5 h: high.
    expect(bandsOf(deliveryFigures(input))).toEqual({
      frequency: 'high',
      leadTime: 'elite',
      changeFail: 'low',
      recovery: 'high',
    });
  });

  it('answers an empty period with zeros and no rates', () => {
    const figures = deliveryFigures({ ...input, facts: [], commitDates: new Map() });
    expect(figures.frequency).toEqual({ deployments: 0, perWeek: 0, medianIntervalMs: undefined });
    expect(figures.changeFail.rate).toBeUndefined();
    expect(figures.rework.rate).toBeUndefined();
    expect(bandsOf(figures)).toEqual({});
  });

  it('gives one deployment no spacing and a failure with no later deployment as unrecovered', () => {
    const figures = deliveryFigures({
      ...input,
      facts: [aFact('d1', 10, { verification: 'failed' })],
    });
    expect(figures.frequency.medianIntervalMs).toBeUndefined();
    expect(figures.recovery).toEqual({ medianMs: undefined, recovered: 0, unrecovered: 1 });
  });

  it('splits the period into weeks for the chart', () => {
    const weeks = weeklySeries(input);
    // Week 1 (hours 0-168): d1 ok; d2 failed change; r1 rollback; d3 failed; d4 ok; d6 ok; d5 run.
    expect(weeks).toHaveLength(2);
    expect(weeks[0]).toMatchObject({ succeeded: 3, failedChanges: 2, rollbacks: 1, failedRuns: 1 });
    expect(weeks[0].leadTimeMedianMs).toBe(4 * HOUR_MS);
    expect(weeks[1]).toMatchObject({ succeeded: 0, failedChanges: 0, rollbacks: 0, failedRuns: 0 });
  });

  it('takes percentiles by linear interpolation', () => {
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([5], 0.9)).toBe(5);
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([0, DAY_MS], 0.9)).toBeCloseTo(0.9 * DAY_MS);
  });
});
