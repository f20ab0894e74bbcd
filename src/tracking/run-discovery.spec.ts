import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment } from '../deployments/deployment';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { RunDiscovery } from './run-discovery';
import { RunProgress } from './run-progress';
import { DeploymentTrackingStore } from './tracking.store';

const NOW = new Date();

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

/** Discovery against strict fakes: GitHub's runs are scripted, every link attempt recorded. */
function discoverer(
  github: Partial<GithubClient>,
  options: { taken?: number[]; linkable?: boolean } = {},
) {
  const links: number[] = [];
  const transitions = strictFake<DeploymentTransitions>('transitions', {
    linkRun: async (_id: string, runId: number) => {
      links.push(runId);
      return options.linkable ?? true;
    },
  });
  const tracking = strictFake<DeploymentTrackingStore>('tracking', {
    claimedRunIds: async () => new Set(options.taken ?? []),
  });
  const discovery = new RunDiscovery(
    5_000,
    strictFake<GithubClient>('github', github),
    strictFake<ServiceRegistryService>('registry', {
      sourceOf: async (d: Deployment) => d.source!,
      dispatchRefOf: async (d: Deployment) => d.dispatchRef!,
    }),
    transitions,
    tracking,
    new RunProgress(testConfig(), transitions, tracking, () => NOW),
    async () => 'polling',
  );
  return { discovery, links };
}

describe('RunDiscovery.discover', () => {
  const since = NOW;

  it('takes the earliest run no deployment holds, created within two minutes of the dispatch', async () => {
    const runs = [
      aRun(1, new Date(since.getTime() + 1_000)),
      aRun(2, new Date(since.getTime() + 2_000)),
      aRun(3, new Date(since.getTime() + 3_000)),
      aRun(4, new Date(since.getTime() + 121_000)),
    ];
    const { discovery, links } = discoverer({ listDispatchRuns: async () => runs }, { taken: [1] });
    expect((await discovery.discover(dispatching()))?.id).toBe(2);
    expect(links).toEqual([2]);
  });

  it('takes nothing created after the grace period', async () => {
    const late = [aRun(4, new Date(since.getTime() + 121_000))];
    const { discovery, links } = discoverer({ listDispatchRuns: async () => late });
    expect(await discovery.discover(dispatching())).toBeUndefined();
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
    const { discovery, links } = discoverer({ listDispatchRuns: async () => runs });
    expect((await discovery.discover(deployment))?.id).toBe(3);
    expect(links).toEqual([3]);
  });

  it('without the deployment id, never takes a run whose title names another commit', async () => {
    const runs = [
      aRun(1, since, `Deploy ${'b'.repeat(7)} to staging`),
      aRun(2, since, 'Deploy build 20261204'),
    ];
    const { discovery, links } = discoverer({ listDispatchRuns: async () => runs });
    expect((await discovery.discover(dispatching()))?.id).toBe(2);
    expect(links).toEqual([2]);
  });

  it('looks from the moment of the send when the answer was lost', async () => {
    let asked: Date | undefined;
    const sentAt = new Date(NOW.getTime() + 30_000);
    const { discovery } = discoverer({
      listDispatchRuns: async (_o, _r, _w, _b, from) => {
        asked = from;
        return [aRun(1, new Date(sentAt.getTime() + 119_000))];
      },
    });
    const lost = dispatching({ status: 'dispatch_unknown', dispatchSentAt: sentAt });
    expect((await discovery.discover(lost))?.id).toBe(1);
    expect(asked).toEqual(sentAt);
  });

  it('moves on to the next run when another deployment claims one first', async () => {
    const runs = [aRun(1, since), aRun(2, since)];
    const { discovery, links } = discoverer(
      { listDispatchRuns: async () => runs },
      { linkable: false },
    );
    expect(await discovery.discover(dispatching())).toBeUndefined();
    expect(links).toEqual([1, 2]);
  });
});
