import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { Deployment } from '../../src/deployments/deployment';
import {
  DeploymentTransitions,
  MoveOptions,
} from '../../src/deployments/deployment-transitions.service';
import { GithubClient, RunInfo } from '../../src/github/github.client';
import { ServiceRegistryService } from '../../src/service-registry/service-registry.service';
import { ListedRun, RunListingStore } from '../../src/tracking/run-listing.store';
import { trackingMode } from '../../src/tracking/run-schedule';
import { RunTrackerService } from '../../src/tracking/run-tracker.service';
import { DeploymentTrackingStore, TrackedDeployment } from '../../src/tracking/tracking.store';
import { WebhookActivityStore } from '../../src/tracking/webhook-activity.store';
import { testConfig } from './config';
import { aDeployment } from './factories';
import { strictFake } from './strict-fake';

/** The run tracker against strict fakes, shared by its specs. */
export const POLL_MS = 5_000;
export const BACKSTOP_MS = 300_000;
export const NOW = new Date();
export const origin = { repository: 'acme/api', workflowId: 100 };
export const source = { owner: 'acme', repo: 'api', workflow: 'deploy.yml', inputs: {} };

export function aRun(status: string, conclusion: string | null = null, id = 7): RunInfo {
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
export const LEASE_OWNER = 'host-1-ab12cd#9';

export function tracker(
  options: {
    /** The deployment holding the run, or 'duplicate' (it has one, and the delivery is taken). */
    recorded?: Deployment | 'duplicate' | null;
    due?: TrackedDeployment | null;
    run?: Awaited<ReturnType<GithubClient['getRun']>>;
    discovered?: RunInfo;
    moveFails?: boolean;
    /** Taking the delivery fails (the database, not a duplicate). */
    claimFails?: boolean;
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
      linkRun: async () => true,
    },
    calls,
  );
  const deliveries = new Set<string>();
  const tracking = strictFake<DeploymentTrackingStore>(
    'tracking',
    {
      // A delivery of a deployment found is 'duplicate' when said so, or when taken already.
      runHolder: async () => {
        const held =
          options.recorded === 'duplicate'
            ? aDeployment({ status: 'dispatched', runId: 7, source })
            : options.recorded;
        return held
          ? { ...held, workflow: held.source?.workflow ?? '', observed: !!held.origin }
          : null;
      },
      claimDelivery: async (deliveryId: string) => {
        if (options.claimFails) throw new Error('database down');
        if (options.recorded === 'duplicate' || deliveries.has(deliveryId)) return false;
        deliveries.add(deliveryId);
        return true;
      },
      forgetDelivery: async (deliveryId: string) => void deliveries.delete(deliveryId),
      checkBy: async () => undefined,
      // A claim names its holder.
      claimDueCheck: async () => (options.due ? { leaseOwner: LEASE_OWNER, ...options.due } : null),
      claimCompanions: async () => options.companions ?? [],
      claimedRunIds: async () => new Set<number>(),
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
    strictFake<ServiceRegistryService>('registry', {
      sourceOf: async (d: Deployment) => d.source ?? source,
      dispatchRefOf: async (d: Deployment) => d.dispatchRef ?? 'main',
    }),
    strictFake<GithubClient>(
      'github',
      {
        getRun: async (_o: string, _r: string, runId: number) => {
          if (options.githubFails || runId === options.failingRun)
            throw new Error('GitHub is down');
          return options.run ?? { notModified: true };
        },
        // What discovery finds: the run a deployment without one was waiting for.
        listDispatchRuns: async () =>
          options.discovered
            ? [{ ...options.discovered, createdAt: clock.now().toISOString() }]
            : [],
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
