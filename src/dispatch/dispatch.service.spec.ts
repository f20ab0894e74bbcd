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

function dispatcher(
  github: Partial<GithubClient>,
  options: { taken?: number[]; linkable?: boolean } = {},
) {
  const calls: string[] = [];
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
          return options.linkable ?? true;
        },
      },
      calls,
    ),
    strictFake<DeploymentHistory>('history'),
    strictFake<DeploymentTrackingStore>('tracking', {
      claimedRunIds: async () => new Set(options.taken ?? []),
    }),
    strictFake<GithubDeploymentsService>('githubDeployments', {
      createBeforeDispatch: async () => undefined,
    }),
    strictFake<WebhookActivityStore>('webhooks', {
      modeOf: async () => ({ mode: 'polling' as const }),
    }),
    new ManualClock(NOW),
  );
  return { service, calls, moves, links };
}

describe('DispatchService.dispatch', () => {
  it('dispatches the recorded inputs on the default branch and takes the run GitHub names', async () => {
    let sent: unknown;
    const { service, moves, links } = dispatcher({
      dispatchWorkflow: async (request) => {
        sent = request;
        return { runId: 7, runUrl: 'https://github.example/runs/7' };
      },
    });
    await service.dispatch(dispatching());
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
          releaseLease: true,
          set: { dispatchedAt: NOW },
          tracking: { nextCheckAt: new Date(NOW.getTime() + POLL_MS) },
        },
      },
    ]);
  });

  it('looks for the run a second later when GitHub does not name it', async () => {
    const { service, moves, links } = dispatcher({ dispatchWorkflow: async () => ({}) });
    await service.dispatch(dispatching());
    expect(links).toEqual([]);
    expect(moves[0].options.tracking).toEqual({ nextCheckAt: new Date(NOW.getTime() + 1_000) });
  });

  it("records GitHub's refusal in its own words as dispatch_failed", async () => {
    const { service, moves } = dispatcher({
      dispatchWorkflow: async () => {
        throw new GithubError('GITHUB.REFUSED', 'GitHub refused the request: no trigger', 422);
      },
    });
    await service.dispatch(dispatching());
    expect(moves).toEqual([
      {
        to: 'dispatch_failed',
        options: {
          from: ['dispatching'],
          releaseLease: true,
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
    await service.dispatch(dispatching());
    expect(moves[0].options.set).toEqual({ failureReason: 'the dispatch failed unexpectedly' });
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
