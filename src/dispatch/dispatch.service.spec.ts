import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTrackingStore } from '../deployments/deployment-tracking.store';
import { DeploymentTransitions, MoveOptions } from '../deployments/deployment-transitions.service';
import { GithubClient, RunInfo } from '../github/github.client';
import { GithubError } from '../github/github.errors';
import { GithubDeploymentsService } from '../github-deployments/github-deployments.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { WebhookActivityStore } from '../deployments/webhook-activity.store';
import { DispatchService } from './dispatch.service';
import { LaunchChecks, Refusal } from './launch-checks';

const NOW = new Date();
const POLL_MS = 5_000;

function dispatching(overrides: Partial<Deployment> = {}): Deployment {
  return aDeployment({
    status: 'dispatching',
    dispatchRef: 'main',
    dispatchRequestedAt: NOW,
    source: {
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      inputs: { environment: 'staging', sha: 'a'.repeat(40) },
    },
    ...overrides,
  });
}

function aRun(id: number, createdAt: Date, displayTitle = 'Deploy'): RunInfo {
  return {
    id,
    displayTitle,
    status: 'queued',
    conclusion: null,
    htmlUrl: `https://github.example/runs/${id}`,
    headBranch: 'main',
    createdAt: createdAt.toISOString(),
    updatedAt: createdAt.toISOString(),
  };
}

const OWNER = 'host-1-ab12cd#4';

function dispatcher(
  github: Partial<GithubClient>,
  options: {
    taken?: number[];
    linkable?: boolean;
    /** The dispatch lease is still held (renewals succeed). */
    leaseHeld?: boolean;
    refusal?: Refusal;
    linkFails?: boolean;
    /** What the record says now. */
    current?: Deployment;
  } = {},
) {
  const calls: string[] = [];
  const renewals: string[] = [];
  const moves: Array<{ to: string; options: MoveOptions }> = [];
  const links: number[] = [];
  const service = new DispatchService(
    testConfig({ POLL_INTERVAL_MS: String(POLL_MS) }),
    strictFake<GithubClient>('github', github, calls),
    strictFake<ServiceRegistryService>('registry'),
    strictFake<DeploymentTransitions>(
      'transitions',
      {
        move: async (_id: string, to: string, moveOptions: MoveOptions) => {
          moves.push({ to, options: moveOptions });
          return dispatching({ status: to as Deployment['status'] });
        },
        linkRun: async (_id: string, runId: number) => {
          links.push(runId);
          if (options.linkFails) throw new Error('MongoDB went away');
          return options.linkable ?? true;
        },
      },
      calls,
    ),
    strictFake<DeploymentHistory>('history', { findById: async () => options.current ?? null }),
    strictFake<DeploymentTrackingStore>('tracking', {
      claimedRunIds: async () => new Set(options.taken ?? []),
      renewCheck: async (_id: string, owner: string) => {
        renewals.push(owner);
        return options.leaseHeld ?? true;
      },
    }),
    strictFake<GithubDeploymentsService>('githubDeployments', {
      createBeforeDispatch: async () => undefined,
    }),
    strictFake<WebhookActivityStore>('webhooks', {
      modeOf: async () => ({ mode: 'polling' as const }),
    }),
    strictFake<LaunchChecks>('checks', { refusal: async () => options.refusal }, calls),
    new ManualClock(NOW),
  );
  return { service, calls, moves, links, renewals };
}

describe('DispatchService.dispatch', () => {
  it('dispatches the recorded inputs on the default branch and takes the run GitHub names', async () => {
    let sent: unknown;
    const { service, moves, links, renewals } = dispatcher({
      dispatchWorkflow: async (request) => {
        sent = request;
        return { runId: 7, runUrl: 'https://github.example/runs/7' };
      },
    });
    await service.dispatch(dispatching(), OWNER);
    // The lease was renewed, by its owner, right before the send.
    expect(renewals).toEqual([OWNER]);
    expect(sent).toEqual({
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      ref: 'main',
      inputs: { environment: 'staging', sha: 'a'.repeat(40) },
    });
    expect(links).toEqual([7]);
    expect(moves).toEqual([
      {
        to: 'dispatched',
        options: {
          from: ['dispatching'],
          releaseLease: OWNER,
          set: { dispatchedAt: NOW, dispatchSentAt: NOW },
          tracking: { nextCheckAt: new Date(NOW.getTime() + POLL_MS) },
        },
      },
    ]);
  });

  it('looks for the run a second later when GitHub does not name it', async () => {
    const { service, moves, links } = dispatcher({ dispatchWorkflow: async () => ({}) });
    await service.dispatch(dispatching(), OWNER);
    expect(links).toEqual([]);
    expect(moves[0].options.tracking).toEqual({ nextCheckAt: new Date(NOW.getTime() + 1_000) });
  });

  it("records GitHub's refusal in its own words as dispatch_failed", async () => {
    const { service, moves } = dispatcher({
      dispatchWorkflow: async () => {
        throw new GithubError('GITHUB.REFUSED', 'GitHub refused the request: no trigger', 422);
      },
    });
    await service.dispatch(dispatching(), OWNER);
    expect(moves).toEqual([
      {
        to: 'dispatch_failed',
        options: {
          from: ['dispatching'],
          releaseLease: OWNER,
          set: { failureReason: 'GitHub refused the request: no trigger' },
          note: 'GitHub refused the request: no trigger',
        },
      },
    ]);
  });

  it('never shows an unexpected error to users', async () => {
    const { service, moves } = dispatcher({
      dispatchWorkflow: async () => {
        throw new Error('socket hang up with token ghp_secret');
      },
    });
    await service.dispatch(dispatching(), OWNER);
    expect(moves[0].options.set).toEqual({ failureReason: 'the dispatch failed unexpectedly' });
  });

  it('keeps the target busy as dispatch_unknown when GitHub’s answer was lost, and looks for the run', async () => {
    const { service, moves } = dispatcher({
      dispatchWorkflow: async () => {
        throw new GithubError(
          'GITHUB.OUTCOME_UNKNOWN',
          "GitHub's answer was lost (GitHub answered 502)",
          502,
        );
      },
    });
    await service.dispatch(dispatching(), OWNER);
    expect(moves).toEqual([
      {
        to: 'dispatch_unknown',
        options: {
          from: ['dispatching'],
          releaseLease: OWNER,
          set: { dispatchSentAt: NOW },
          note: "GitHub's answer was lost (GitHub answered 502); looking for its run",
          tracking: { nextCheckAt: new Date(NOW.getTime() + 1_000) },
        },
      },
    ]);
  });

  it('sends nothing once its lease is lost: whoever holds it looks for a run', async () => {
    const current = dispatching();
    const { service, moves, calls } = dispatcher(
      { dispatchWorkflow: async () => ({}) },
      { leaseHeld: false, current },
    );
    expect(await service.dispatch(current, OWNER)).toBe(current);
    expect(calls).not.toContain('github.dispatchWorkflow');
    expect(moves).toEqual([]);
  });

  it('sends nothing when what must hold no longer does, and says why', async () => {
    const { service, moves, calls } = dispatcher(
      { dispatchWorkflow: async () => ({}) },
      {
        refusal: {
          rule: 'lock',
          code: 'DEPLOY.TARGET_LOCKED',
          message: 'api → staging is locked.',
        },
      },
    );
    await service.dispatch(dispatching(), OWNER);
    expect(calls).not.toContain('github.dispatchWorkflow');
    expect(moves.map((move) => [move.to, move.options.set])).toEqual([
      ['dispatch_failed', { failureReason: 'Not dispatched: api → staging is locked.' }],
    ]);
  });

  it('never turns a dispatch GitHub took into a failure when recording it fails', async () => {
    const { service, moves } = dispatcher(
      { dispatchWorkflow: async () => ({ runId: 7, runUrl: 'https://github.example/runs/7' }) },
      { linkFails: true },
    );
    const deployment = dispatching();
    expect(await service.dispatch(deployment, OWNER)).toBe(deployment);
    expect(moves).toEqual([]);
  });
});

describe('DispatchService.discoverRun', () => {
  const since = NOW;

  it('takes the earliest run no deployment holds, created within two minutes of the dispatch', async () => {
    const runs = [
      aRun(1, new Date(since.getTime() + 1_000)),
      aRun(2, new Date(since.getTime() + 2_000)),
      aRun(3, new Date(since.getTime() + 3_000)),
      aRun(4, new Date(since.getTime() + 121_000)),
    ];
    const { service, links } = dispatcher({ listDispatchRuns: async () => runs }, { taken: [1] });
    expect((await service.discoverRun(dispatching()))?.id).toBe(2);
    expect(links).toEqual([2]);
  });

  it('takes nothing created after the grace period', async () => {
    const late = [aRun(4, new Date(since.getTime() + 121_000))];
    const { service, links } = dispatcher({ listDispatchRuns: async () => late });
    expect(await service.discoverRun(dispatching())).toBeUndefined();
    expect(links).toEqual([]);
  });

  it('takes only the run whose title carries the deployment id when the dispatch sent it', async () => {
    const deployment = dispatching();
    deployment.source!.inputs.deployment_id = deployment.id;
    const runs = [
      aRun(1, since, 'Deploy d-ffffff'),
      aRun(2, since, `Deploy ${deployment.id}x`),
      aRun(3, since, `Deploy ${deployment.id} to staging`),
    ];
    const { service, links } = dispatcher({ listDispatchRuns: async () => runs });
    expect((await service.discoverRun(deployment))?.id).toBe(3);
    expect(links).toEqual([3]);
  });

  it('without the deployment id, never takes a run whose title names another commit', async () => {
    const runs = [
      aRun(1, since, `Deploy ${'b'.repeat(7)} to staging`),
      aRun(2, since, 'Deploy build 20261204'),
    ];
    const { service, links } = dispatcher({ listDispatchRuns: async () => runs });
    expect((await service.discoverRun(dispatching()))?.id).toBe(2);
    expect(links).toEqual([2]);
  });

  it('looks from the moment of the send when the answer was lost', async () => {
    let asked: Date | undefined;
    const sentAt = new Date(NOW.getTime() + 30_000);
    const { service } = dispatcher({
      listDispatchRuns: async (_o, _r, _w, _b, from) => {
        asked = from;
        return [aRun(1, new Date(sentAt.getTime() + 119_000))];
      },
    });
    const lost = dispatching({ status: 'dispatch_unknown', dispatchSentAt: sentAt });
    expect((await service.discoverRun(lost))?.id).toBe(1);
    expect(asked).toEqual(sentAt);
  });

  it('moves on to the next run when another deployment claims one first', async () => {
    const runs = [aRun(1, since), aRun(2, since)];
    const { service, links } = dispatcher(
      { listDispatchRuns: async () => runs },
      { linkable: false },
    );
    expect(await service.discoverRun(dispatching())).toBeUndefined();
    expect(links).toEqual([1, 2]);
  });
});
