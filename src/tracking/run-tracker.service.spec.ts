import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment } from '../deployments/deployment';
import {
  DeploymentTrackingStore,
  TrackedDeployment,
} from '../deployments/deployment-tracking.store';
import { DeploymentTransitions, MoveOptions } from '../deployments/deployment-transitions.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { trackingMode, WebhookActivityStore } from '../deployments/webhook-activity.store';
import { ListedRun, RunListingStore } from './run-listing.store';
import { RunTrackerService } from './run-tracker.service';

const POLL_MS = 5_000;
const BACKSTOP_MS = 300_000;
const NOW = new Date();
const origin = { repository: 'acme/api', workflowId: 100 };
const source = { owner: 'acme', repo: 'api', workflow: 'deploy.yml', inputs: {} };

function aRun(status: string, conclusion: string | null = null, id = 7): RunInfo {
  return {
    id,
    displayTitle: 'Deploy',
    status,
    conclusion,
    htmlUrl: 'https://github.example/acme/api/actions/runs/7',
    headBranch: 'main',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:05:00Z',
  };
}

/**
 * The tracker against strict fakes: what it asks the kernel to do (moves, with which
 * expectations and lease handling) for each thing GitHub can say.
 */
const LEASE_OWNER = 'host-1-ab12cd#9';

function tracker(
  options: {
    recorded?: Deployment | 'duplicate' | null;
    due?: TrackedDeployment | null;
    run?: Awaited<ReturnType<GithubClient['getRun']>>;
    discovered?: RunInfo;
    moveFails?: boolean;
    githubFails?: boolean;
    /** GitHub fails for this run asked for on its own (a deleted run, say). */
    failingRun?: number;
    listingFails?: boolean;
    /** Claimed with `due`: the others of its workflow. */
    companions?: TrackedDeployment[];
    listing?: Awaited<ReturnType<GithubClient['listRecentRuns']>>;
    /** What the last listing of the same query held. */
    lastListing?: { etag: string; runs: ListedRun[] };
    lastDelivery?: Date;
  } = {},
) {
  const calls: string[] = [];
  const moves: Array<{ id: string; to: string; options: MoveOptions }> = [];
  const releases: Array<{ id?: string; next: Date | null; etag?: string }> = [];
  const listings: Array<{ since: Date; etag?: string }> = [];
  const clock = new ManualClock(NOW);
  const transitions = strictFake<DeploymentTransitions>(
    'transitions',
    {
      move: async (id: string, to: string, moveOptions: MoveOptions) => {
        if (options.moveFails) throw new Error('database down');
        moves.push({ id, to, options: moveOptions });
        return aDeployment({ status: to as Deployment['status'], runId: 7 });
      },
      recordRunConclusion: async () => null,
      noteWatchdog: async () => null,
    },
    calls,
  );
  const tracking = strictFake<DeploymentTrackingStore>(
    'tracking',
    {
      recordDelivery: async () => options.recorded ?? null,
      forgetDelivery: async () => undefined,
      checkBy: async () => undefined,
      // A claim names its holder.
      claimDueCheck: async () => (options.due ? { leaseOwner: LEASE_OWNER, ...options.due } : null),
      claimCompanions: async () => options.companions ?? [],
      renewCheck: async () => true,
      renewChecks: async () => true,
      releaseCheck: async (deployment: { id: string }, next: Date | null, etag?: string) =>
        void releases.push({ ...(options.companions ? { id: deployment.id } : {}), next, etag }),
    },
    calls,
  );
  const service = new RunTrackerService(
    testConfig({
      POLL_INTERVAL_MS: String(POLL_MS),
      POLL_BACKSTOP_MS: String(BACKSTOP_MS),
      DEPLOY_TIMEOUT_MS: '600000',
    }),
    transitions,
    tracking,
    strictFake<DispatchService>(
      'dispatcher',
      {
        dispatchApproved: async (deployment: Deployment) => deployment,
        discoverRun: async () => options.discovered,
      },
      calls,
    ),
    strictFake<ServiceRegistryService>('registry'),
    strictFake<GithubClient>(
      'github',
      {
        getRun: async (_o: string, _r: string, runId: number) => {
          if (options.githubFails || runId === options.failingRun)
            throw new Error('GitHub is down');
          return options.run ?? { notModified: true };
        },
        listRecentRuns: async (_o: string, _r: string, _w: string, since: Date, etag?: string) => {
          if (options.githubFails || options.listingFails) throw new Error('GitHub is down');
          listings.push({ since, etag });
          return options.listing ?? { notModified: false, runs: [] };
        },
      },
      calls,
    ),
    clock,
    new Instance('spec-instance'),
    strictFake<WebhookActivityStore>('webhooks', {
      modeOf: async (_repository: string, now: Date) => ({
        mode: trackingMode(options.lastDelivery, now),
        lastDeliveryAt: options.lastDelivery,
      }),
    }),
    strictFake<RunListingStore>(
      'listings',
      { last: async () => options.lastListing ?? null, save: async () => undefined },
      calls,
    ),
  );
  return { service, calls, moves, releases, clock, listings };
}

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
    expect(calls).toEqual(['tracking.recordDelivery']);
  });

  it('records the real conclusion of a run that ended after a timeout, beside it', async () => {
    const { service, calls } = tracker({ recorded: aDeployment({ status: 'timed_out' }) });
    await service.applyDelivery(7, 'd1', aRun('completed', 'success'), origin);
    expect(calls).toEqual(['tracking.recordDelivery', 'transitions.recordRunConclusion']);
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
    expect(unknown.calls).toEqual(['tracking.recordDelivery']);
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
  const dispatchedAt = (clock: ManualClock, agoMs: number) =>
    new Date(clock.now().getTime() - agoMs);

  it('does nothing when no deployment is due', async () => {
    const { service, calls } = tracker();
    expect(await service.checkNextDue()).toBe(false);
    expect(calls).toEqual(['tracking.claimDueCheck']);
  });

  it('dispatches an approved deployment whose approver died before dispatching', async () => {
    const { service, calls } = tracker({ due: aDeployment({ status: 'approved' }) });
    await service.checkNextDue();
    expect(calls).toEqual(['tracking.claimDueCheck', 'dispatcher.dispatchApproved']);
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
    expect(calls).not.toContain('dispatcher.dispatchApproved');
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
    expect(looking.calls).toContain('dispatcher.discoverRun');
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
    expect(given.calls).not.toContain('dispatcher.dispatchApproved');
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
