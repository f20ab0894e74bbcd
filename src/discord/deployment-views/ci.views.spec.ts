import { aDeployment } from '../../../test/support/factories';
import { GateRecord } from '../../deployments/deployment';
import { ciSummary } from './ci.views';

const AT = new Date('2026-12-05T10:00:00Z');
const gate = (overrides: Partial<GateRecord> = {}): GateRecord => ({
  mode: 'all',
  verdict: 'passed',
  total: 3,
  pending: 0,
  checks: [],
  checkedAt: AT,
  waitUntil: AT,
  ...overrides,
});

/** What the approval message says CI said, in each case an approver may meet. */
describe('ciSummary', () => {
  it('says how many checks passed, and when they were read', () => {
    expect(ciSummary(aDeployment({ gate: gate() }))).toBe(
      '✅ passed with 3 checks (<t:1796464800:R>)',
    );
    expect(ciSummary(aDeployment({ gate: gate({ total: 1 }) }))).toBe(
      '✅ passed with 1 check (<t:1796464800:R>)',
    );
  });

  it('names the admin who deployed anyway, as plain text', () => {
    const override = {
      by: { id: '1', name: '@everyone *x*' },
      at: AT,
      reason: 'hotfix',
      checks: [],
    };
    expect(ciSummary(aDeployment({ gate: gate({ verdict: 'failed', override }) }))).toBe(
      '⚠️ overridden by \\@everyone \\*x\\*',
    );
  });

  it('says when no CI gate applies, and that a rollback is not checked', () => {
    expect(ciSummary(aDeployment({}))).toBe('no CI gate (off)');
    expect(
      ciSummary(
        aDeployment({ rollback: { of: 'd-000001', ofSha: 'b'.repeat(40), to: 'a'.repeat(40) } }),
      ),
    ).toBe('not checked: a rollback');
  });

  it('says how many checks are still running', () => {
    expect(ciSummary(aDeployment({ gate: gate({ verdict: 'pending', pending: 2 }) }))).toBe(
      'pending (2 of 3 pending)',
    );
  });
});
