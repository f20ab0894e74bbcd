import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import {
  aRun,
  BACKSTOP_MS,
  LEASE_OWNER,
  NOW,
  origin,
  POLL_MS,
  source,
  tracker,
} from '../../test/support/run-tracker-harness';

describe('RunTrackerService: a webhook delivery', () => {
  it('moves a dispatched deployment to success, leaving any poller its lease', async () => {
    const deployment = aDeployment({ status: 'dispatched', runId: 7, source });
    const { service, moves } = tracker({ recorded: deployment });
    expect(await service.applyDelivery(7, 'd1', aRun('completed', 'success'), origin)).toBe(
      'accepted',
    );
    expect(moves).toHaveLength(1);
    expect(moves[0].to).toBe('success');
    expect(moves[0].options).toMatchObject({
      from: ['dispatching', 'dispatch_unknown', 'dispatched', 'queued', 'in_progress'],
      releaseLease: undefined,
      set: { runConclusion: 'success', runUrl: aRun('x').htmlUrl },
    });
  });

  it.each([
    ['completed, failure', aRun('completed', 'failure'), 'failure'],
    ['completed, cancelled', aRun('completed', 'cancelled'), 'cancelled'],
    ['in progress', aRun('in_progress'), 'in_progress'],
    ['queued', aRun('queued'), 'queued'],
  ])('follows a run that is %s', async (_what, run, status) => {
    const { service, moves } = tracker({ recorded: aDeployment({ status: 'dispatched' }) });
    await service.applyDelivery(7, 'd1', run, origin);
    expect(moves.map((move) => move.to)).toEqual([status]);
  });

  it('never moves backwards: an old event changes nothing', async () => {
    const { service, calls } = tracker({ recorded: aDeployment({ status: 'in_progress' }) });
    expect(await service.applyDelivery(7, 'd1', aRun('queued'), origin)).toBe('accepted');
    expect(calls).toEqual(['tracking.runHolder', 'tracking.claimDelivery']);
  });

  it('records the real conclusion of a run that ended after a timeout, beside it', async () => {
    const { service, calls } = tracker({ recorded: aDeployment({ status: 'timed_out' }) });
    await service.applyDelivery(7, 'd1', aRun('completed', 'success'), origin);
    expect(calls).toEqual([
      'tracking.runHolder',
      'tracking.claimDelivery',
      'transitions.recordRunConclusion',
    ]);
  });

  it('recognises a redelivery and a run it does not know, changing nothing', async () => {
    expect(
      await tracker({ recorded: 'duplicate' }).service.applyDelivery(
        7,
        'd',
        aRun('queued'),
        origin,
      ),
    ).toBe('duplicate');
    const unknown = tracker({ recorded: null });
    expect(await unknown.service.applyDelivery(7, 'd', aRun('queued'), origin)).toBe('ignored');
    expect(unknown.calls).toEqual(['tracking.runHolder']);
  });

  describe('once it has seen the run', () => {
    const fromPath = { repository: 'Acme/API', workflowPath: '.github/workflows/deploy.yml' };

    it('takes a delivery that can move nothing without reading the deployment', async () => {
      const deployment = aDeployment({ status: 'dispatched', runId: 7, source });
      const { service, calls, moves } = tracker({ recorded: deployment });
      expect(await service.applyDelivery(7, 'd1', aRun('in_progress'), fromPath)).toBe('accepted');
      expect(moves.map((move) => move.to)).toEqual(['in_progress']);
      calls.length = 0;
      // In progress, then queued (older): nothing to move; the delivery is only taken.
      expect(await service.applyDelivery(7, 'd2', aRun('in_progress'), fromPath)).toBe('accepted');
      expect(await service.applyDelivery(7, 'd3', aRun('queued'), fromPath)).toBe('accepted');
      expect(await service.applyDelivery(7, 'd2', aRun('in_progress'), fromPath)).toBe('duplicate');
      expect(calls).toEqual([
        'tracking.claimDelivery',
        'tracking.claimDelivery',
        'tracking.claimDelivery',
      ]);
      expect(moves).toHaveLength(1);
    });

    it('reads the deployment for an event further on, a completion, or another workflow', async () => {
      const deployment = aDeployment({ status: 'queued', runId: 7, source });
      const { service, calls, moves } = tracker({ recorded: deployment, moveFails: false });
      await service.applyDelivery(7, 'd0', aRun('queued'), fromPath);
      calls.length = 0;
      await service.applyDelivery(7, 'd1', aRun('in_progress'), fromPath);
      await service.applyDelivery(7, 'd2', aRun('completed', 'success'), fromPath);
      const other = { ...fromPath, workflowPath: '.github/workflows/other.yml' };
      await service.applyDelivery(7, 'd3', aRun('queued'), other);
      expect(calls.filter((call) => call === 'tracking.runHolder')).toHaveLength(3);
      expect(moves.map((move) => move.to)).toEqual(['in_progress', 'success']);
    });

    it('reads the deployment for a re-run (a new attempt of the run may have another)', async () => {
      const deployment = aDeployment({ status: 'queued', runId: 7, source });
      const { service, calls } = tracker({ recorded: deployment });
      await service.applyDelivery(7, 'd1', aRun('in_progress'), fromPath);
      calls.length = 0;
      await service.applyDelivery(7, 'd2', { ...aRun('in_progress'), runAttempt: 2 }, fromPath);
      expect(calls).toContain('tracking.runHolder');
    });

    it('always reads the deployment of a run started on GitHub (its run may change hands)', async () => {
      const observed = aDeployment({
        status: 'in_progress',
        runId: 7,
        source,
        origin: { kind: 'github', login: 'octocat', event: 'push', runId: 7, gated: false },
      });
      const { service, calls } = tracker({ recorded: observed });
      await service.applyDelivery(7, 'd1', aRun('in_progress'), fromPath);
      await service.applyDelivery(7, 'd2', aRun('in_progress'), fromPath);
      expect(calls.filter((call) => call === 'tracking.runHolder')).toHaveLength(2);
    });
  });

  it('brings a poll forward when the delivery could not be taken', async () => {
    const { service, calls } = tracker({
      recorded: aDeployment({ status: 'dispatched' }),
      claimFails: true,
    });
    await expect(
      service.applyDelivery(7, 'd1', aRun('completed', 'success'), origin),
    ).rejects.toThrow('database down');
    expect(calls).toEqual(['tracking.runHolder', 'tracking.claimDelivery', 'tracking.checkBy']);
  });

  it('forgets the delivery when the change could not be stored, so a redelivery is applied', async () => {
    const { service, calls } = tracker({
      recorded: aDeployment({ status: 'dispatched' }),
      moveFails: true,
    });
    await expect(
      service.applyDelivery(7, 'd1', aRun('completed', 'success'), origin),
    ).rejects.toThrow('database down');
    // And a poll looks at the run soon: GitHub does not redeliver by itself.
    expect(calls.slice(-2)).toEqual(['tracking.forgetDelivery', 'tracking.checkBy']);
  });
});

describe('RunTrackerService: a due check', () => {
  it('does nothing when no deployment is due', async () => {
    const { service, calls } = tracker();
    expect(await service.checkNextDue()).toBe(false);
    expect(calls).toEqual(['tracking.claimDueCheck']);
  });

  it('asks for a run the listing does not hold on its own, conditionally; on a 304 looks again a poll later', async () => {
    const { service, clock, releases, calls } = tracker({
      due: { ...aDeployment({ status: 'in_progress', runId: 7, source }), etag: '"abc"' },
    });
    await service.checkNextDue();
    expect(calls).toContain('github.listRecentRuns');
    expect(calls).toContain('github.getRun');
    expect(releases).toEqual([
      { next: new Date(clock.now().getTime() + POLL_MS), etag: undefined },
    ]);
  });

  it('moves on what the run says, giving up the lease it holds with the ETag', async () => {
    const { service, moves } = tracker({
      due: aDeployment({ status: 'in_progress', runId: 7, source }),
      run: { notModified: false, run: aRun('completed', 'success'), etag: '"new"' },
    });
    await service.checkNextDue();
    expect(moves[0]).toMatchObject({
      to: 'success',
      options: { releaseLease: LEASE_OWNER, tracking: { etag: '"new"' } },
    });
  });

  it("refreshes every run of a workflow due within the interval with one listing, from the oldest one's dispatch", async () => {
    const clock = new ManualClock(NOW);
    const dispatch = (agoMs: number) => new Date(clock.now().getTime() - agoMs);
    const { service, calls, moves, releases, listings } = tracker({
      due: aDeployment({
        id: 'd-000001',
        status: 'in_progress',
        runId: 1,
        source,
        dispatchRequestedAt: dispatch(30_000),
      }),
      companions: [
        aDeployment({
          id: 'd-000002',
          status: 'queued',
          runId: 2,
          source,
          dispatchRequestedAt: dispatch(90_000),
        }),
        aDeployment({
          id: 'd-000003',
          status: 'in_progress',
          runId: 3,
          source,
          dispatchRequestedAt: dispatch(10_000),
        }),
      ],
      listing: {
        notModified: false,
        runs: [
          aRun('completed', 'success', 1),
          aRun('in_progress', null, 2),
          aRun('in_progress', null, 3),
        ],
        etag: '"page"',
      },
    });
    await service.checkNextDue();
    expect(calls.filter((call) => call.startsWith('github.'))).toEqual(['github.listRecentRuns']);
    // From a minute before the oldest dispatch, in whole seconds.
    expect(listings[0].since.getTime()).toBe(
      Math.floor((dispatch(90_000).getTime() - 60_000) / 1000) * 1000,
    );
    expect(moves.map(({ id, to }) => `${id} ${to}`)).toEqual([
      'd-000001 success',
      'd-000002 in_progress',
    ]);
    // Unchanged: looked at again a poll later.
    expect(releases).toEqual([
      { id: 'd-000003', next: new Date(clock.now().getTime() + POLL_MS), etag: undefined },
    ]);
  });

  it('looks at what GitHub says before the watchdog: a queued run that started is moved first', async () => {
    const clock = new ManualClock(NOW);
    const dispatchedAt = new Date(clock.now().getTime() - 121_000);
    const { service, calls } = tracker({
      due: aDeployment({
        status: 'queued',
        runId: 7,
        source,
        dispatchedAt,
        dispatchRequestedAt: dispatchedAt,
      }),
      listing: { notModified: false, runs: [aRun('in_progress')], etag: '"p"' },
    });
    await service.checkNextDue();
    // The notice is claimed only while the stored status is still queued (see claimWatchdogNotice).
    expect(calls.filter((call) => call.startsWith('transitions.'))).toEqual([
      'transitions.move',
      'transitions.noteWatchdog',
    ]);
  });

  it('lets no run GitHub fails for hold up the others of its workflow', async () => {
    const { service, clock, moves, releases } = tracker({
      due: aDeployment({ id: 'd-000001', status: 'in_progress', runId: 1, source }),
      companions: [aDeployment({ id: 'd-000002', status: 'in_progress', runId: 2, source })],
      // Run 1 is not on the page, and asking for it alone fails.
      listing: { notModified: false, runs: [aRun('completed', 'success', 2)], etag: '"p"' },
      failingRun: 1,
    });
    await service.checkNextDue();
    expect(releases).toEqual([
      { id: 'd-000001', next: new Date(clock.now().getTime() + POLL_MS), etag: undefined },
    ]);
    expect(moves.map(({ id, to }) => `${id} ${to}`)).toEqual(['d-000002 success']);
  });

  it('asks for each run on its own when the listing fails', async () => {
    const { service, calls, moves } = tracker({
      due: aDeployment({ status: 'in_progress', runId: 7, source }),
      listingFails: true,
      run: { notModified: false, run: aRun('completed', 'success'), etag: '"e"' },
    });
    await service.checkNextDue();
    expect(calls).toContain('github.getRun');
    expect(moves.map((move) => move.to)).toEqual(['success']);
  });

  it('reads a 304 to the listing as the runs the same query held last time', async () => {
    const { service, moves, calls, listings } = tracker({
      due: aDeployment({ status: 'in_progress', runId: 7, source }),
      lastListing: { etag: '"page"', runs: [aRun('completed', 'failure')] },
      listing: { notModified: true },
    });
    await service.checkNextDue();
    expect(listings[0].etag).toBe('"page"');
    expect(calls).not.toContain('github.getRun');
    expect(moves.map((move) => move.to)).toEqual(['failure']);
  });

  it('looks only as a backstop while the repository sends webhooks, and sooner when the watchdog is due', async () => {
    const clock = new ManualClock(NOW);
    const recent = new Date(clock.now().getTime() - 60_000);
    const running = tracker({
      due: aDeployment({
        status: 'in_progress',
        runId: 7,
        source,
        dispatchRequestedAt: clock.now(),
      }),
      lastDelivery: recent,
    });
    await running.service.checkNextDue();
    expect(running.releases[0].next).toEqual(new Date(clock.now().getTime() + BACKSTOP_MS));

    const dispatchedAt = new Date(clock.now().getTime() - 100_000);
    const queued = tracker({
      due: aDeployment({
        status: 'queued',
        runId: 7,
        source,
        dispatchedAt,
        dispatchRequestedAt: dispatchedAt,
      }),
      lastDelivery: recent,
    });
    await queued.service.checkNextDue();
    // The watchdog's moment, two minutes after the dispatch: once, right when it is overdue.
    expect(queued.releases[0].next).toEqual(new Date(dispatchedAt.getTime() + 120_000));

    const stale = tracker({
      due: aDeployment({
        status: 'in_progress',
        runId: 7,
        source,
        dispatchRequestedAt: clock.now(),
      }),
      lastDelivery: new Date(clock.now().getTime() - 11 * 60_000),
    });
    await stale.service.checkNextDue();
    expect(stale.releases[0].next).toEqual(new Date(clock.now().getTime() + POLL_MS));
  });
});
