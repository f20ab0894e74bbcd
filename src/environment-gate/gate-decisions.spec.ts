import { aDeployment } from '../../test/support/factories';
import type { Deployment } from '../deployments/deployment';
import { answerComment, decisionOf } from './gate-decisions';

const RUN = 777;
const origin = {
  kind: 'github' as const,
  login: 'octo-dev',
  event: 'push',
  runId: RUN,
  gated: true,
};
const fromGithub = (overrides: Partial<Deployment>) =>
  aDeployment({ service: 'api', environment: 'prod', origin, ...overrides });

/** What GitHub is told once the deployment of a held run is decided in Discord. */
describe('the environment gate decisions', () => {
  it('waits while the request is at the CI gate, pending, approved or being let through', () => {
    for (const status of [
      'awaiting_checks',
      'checks_failed',
      'pending_approval',
      'approved',
      'dispatching',
    ] as const)
      expect(decisionOf(fromGithub({ status }), RUN, 600_000)).toBeUndefined();
  });

  it('approves once the run is let through, naming the Discord approvers', () => {
    const decided = decisionOf(
      fromGithub({
        status: 'dispatched',
        runId: RUN,
        approval: {
          required: 2,
          approvals: [
            { id: '1', name: 'alice', at: new Date() },
            { id: '2', name: 'bob', at: new Date() },
          ],
          expiresAt: new Date(),
        },
      }),
      RUN,
      600_000,
    );
    expect(decided?.state).toBe('approved');
    expect(decided?.comment).toMatch(/^Approved in Discord by alice, bob for api prod \(d-/);
  });

  it('rejects a run that is not the one let through: it was never approved', () => {
    expect(decisionOf(fromGithub({ status: 'dispatched', runId: RUN + 1 }), RUN, 1)).toEqual({
      state: 'rejected',
      comment: expect.stringMatching(/follows another run: this one was not approved/),
    });
  });

  it('mentions nobody on GitHub, whatever a Discord name holds', () => {
    const comment = answerComment(
      fromGithub({
        status: 'rejected',
        transitions: [
          { status: 'rejected', at: new Date(), by: { id: '1', name: '@acme/admins' } },
        ],
      }),
      'rejected',
    );
    expect(comment).toContain('＠acme/admins');
    expect(comment).not.toContain('@');
  });

  it('rejects a request rejected, expired, replaced or refused, saying why', () => {
    const rejected = decisionOf(
      fromGithub({
        status: 'rejected',
        transitions: [{ status: 'rejected', at: new Date(), by: { id: '1', name: 'alice' } }],
      }),
      RUN,
      600_000,
    );
    expect(rejected).toEqual({
      state: 'rejected',
      comment: expect.stringMatching(/^Rejected in Discord by alice for api prod/),
    });
    expect(decisionOf(fromGithub({ status: 'expired' }), RUN, 600_000)?.comment).toMatch(
      /^Not decided in Discord within 10 minute\(s\)/,
    );
    expect(
      decisionOf(fromGithub({ status: 'dispatch_failed', failureReason: 'prod is locked' }), RUN, 1)
        ?.comment,
    ).toMatch(/Not let through for api prod \(d-\w+\): prod is locked/);
  });

  it('keeps a comment within 1,000 characters whatever a name holds', () => {
    const comment = answerComment(
      fromGithub({ status: 'dispatch_failed', failureReason: 'x'.repeat(5_000) }),
      'rejected',
    );
    expect(comment.length).toBeLessThanOrEqual(1_000);
  });

  it('says a dispatch of the bot was requested in Discord, naming who asked', () => {
    const own = aDeployment({ service: 'api', environment: 'staging', status: 'dispatched' });
    expect(answerComment(own, 'approved')).toMatch(/^Requested in Discord by dana as api staging/);
  });
});
