import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import {
  aRun,
  LEASE_OWNER,
  NOW,
  POLL_MS,
  source,
  tracker,
} from '../../test/support/run-tracker-harness';

describe('RunTrackerService: runs not found yet, and deadlines', () => {
  const dispatchedAt = (clock: ManualClock, agoMs: number) =>
    new Date(clock.now().getTime() - agoMs);

  it('takes a run it discovers for a deployment without one', async () => {
    const { service, moves } = tracker({
      due: aDeployment({ status: 'dispatched', source }),
      discovered: aRun('in_progress'),
    });
    await service.checkNextDue();
    expect(moves.map((move) => move.to)).toEqual(['in_progress']);
  });

  it('fails a dispatch GitHub never started a run for within two minutes, never re-dispatching', async () => {
    const clock = new ManualClock(NOW);
    const { service, moves, calls } = tracker({
      due: aDeployment({
        status: 'dispatching',
        dispatchRequestedAt: dispatchedAt(clock, 121_000),
      }),
    });
    await service.checkNextDue();
    expect(moves[0]).toMatchObject({
      to: 'dispatch_failed',
      options: {
        releaseLease: LEASE_OWNER,
        note: 'GitHub never started a run for this dispatch; it was not re-dispatched',
      },
    });
    // Nothing is ever sent again.
    expect(calls).not.toContain('github.dispatchWorkflow');
  });

  it('looks for the run of a dispatch whose answer was lost, from the send, for two minutes', async () => {
    const clock = new ManualClock(NOW);
    const lost = (sentAgoMs: number) =>
      aDeployment({
        status: 'dispatch_unknown',
        dispatchRequestedAt: dispatchedAt(clock, sentAgoMs + 5_000),
        dispatchSentAt: dispatchedAt(clock, sentAgoMs),
        source,
      });
    const looking = tracker({ due: lost(60_000) });
    await looking.service.checkNextDue();
    expect(looking.calls).toContain('github.listDispatchRuns');
    expect(looking.moves).toEqual([]);
    expect(looking.releases).toEqual([
      { next: new Date(clock.now().getTime() + Math.min(POLL_MS, 5_000)), etag: undefined },
    ]);

    const found = tracker({ due: lost(60_000), discovered: aRun('queued') });
    await found.service.checkNextDue();
    expect(found.moves[0]).toMatchObject({
      to: 'queued',
      options: {
        from: ['dispatching', 'dispatch_unknown', 'dispatched'],
        releaseLease: LEASE_OWNER,
      },
    });

    const given = tracker({ due: lost(120_000) });
    await given.service.checkNextDue();
    expect(given.moves[0]).toMatchObject({
      to: 'dispatch_failed',
      options: {
        from: ['dispatching', 'dispatch_unknown'],
        releaseLease: LEASE_OWNER,
        note: "GitHub's answer to the dispatch was lost, and no run of deploy.yml appeared within 2 minutes of it. Nothing was sent again: look at the workflow's runs on GitHub before deploying again",
      },
    });
    expect(given.calls).not.toContain('github.dispatchWorkflow');
  });

  it('tells the requester once a dispatched run has not started after two minutes', async () => {
    const clock = new ManualClock(NOW);
    const { service, calls } = tracker({
      due: aDeployment({ status: 'dispatched', dispatchedAt: dispatchedAt(clock, 121_000) }),
    });
    await service.checkNextDue();
    expect(calls).toContain('transitions.noteWatchdog');
  });

  it('does not tell anyone before two minutes, nor twice', async () => {
    const clock = new ManualClock(NOW);
    for (const due of [
      aDeployment({ status: 'dispatched', dispatchedAt: dispatchedAt(clock, 119_000) }),
      aDeployment({
        status: 'queued',
        dispatchedAt: dispatchedAt(clock, 300_000),
        watchdogNotifiedAt: new Date(),
      }),
    ]) {
      const { service, calls } = tracker({ due });
      await service.checkNextDue();
      expect(calls).not.toContain('transitions.noteWatchdog');
    }
  });

  it('times a deployment out after DEPLOY_TIMEOUT_MS and keeps watching its run, less often', async () => {
    const clock = new ManualClock(NOW);
    const { service, moves, releases } = tracker({
      due: aDeployment({
        status: 'in_progress',
        runId: 7,
        watchdogNotifiedAt: new Date(),
        dispatchRequestedAt: dispatchedAt(clock, 600_000),
      }),
    });
    await service.checkNextDue();
    expect(moves[0]).toMatchObject({
      to: 'timed_out',
      options: {
        releaseLease: LEASE_OWNER,
        note: 'no completion after 10 min; the run may still be going',
      },
    });
    expect(releases).toHaveLength(1);
    expect(releases[0].next!.getTime()).toBeGreaterThan(clock.now().getTime() + POLL_MS);
  });

  it('gives the lease back with a later check when GitHub fails', async () => {
    const { service, releases, clock } = tracker({
      due: aDeployment({ status: 'in_progress', runId: 7, source }),
      githubFails: true,
    });
    expect(await service.checkNextDue()).toBe(true);
    expect(releases).toEqual([
      { next: new Date(clock.now().getTime() + POLL_MS), etag: undefined },
    ]);
  });
});
