import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentLeases } from '../deployments/deployment-leases.repository';
import { DeploymentTransitions, MoveOptions } from '../deployments/deployment-transitions.service';
import { GithubClient } from '../github/github.client';
import { GithubError } from '../github/github.errors';
import type { DispatchRequest } from '../github/github.types';
import { GithubDeploymentsService } from '../github-deployments/github-deployments.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
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

const OWNER = 'host-1-ab12cd#4';

function dispatcher(
  github: Partial<GithubClient>,
  options: {
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
    strictFake<ServiceRegistryService>('registry', {
      sourceOf: async (d: Deployment) => d.source!,
      dispatchRefOf: async (d: Deployment) => d.dispatchRef!,
    }),
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
    strictFake<DeploymentLeases>('leases', {
      renew: async (_id: string, owner: string) => {
        renewals.push(owner);
        return options.leaseHeld ?? true;
      },
    }),
    strictFake<GithubDeploymentsService>('githubDeployments', {
      createBeforeDispatch: async () => undefined,
    }),
    strictFake<LaunchChecks>('checks', { refusal: async () => options.refusal }, calls),
    new ManualClock(NOW),
  );
  return { service, calls, moves, links, renewals };
}

describe('DispatchService.dispatch', () => {
  it('dispatches the recorded inputs on the default branch and takes the run GitHub names', async () => {
    let sent: DispatchRequest | undefined;
    const { service, moves, links, renewals } = dispatcher({
      dispatchWorkflow: async (request) => {
        sent = request;
        return { runId: 7, runUrl: 'https://github.example/runs/7' };
      },
    });
    await service.dispatch(dispatching(), OWNER);
    // The lease was renewed, by its owner, right before the send.
    expect(renewals).toEqual([OWNER]);
    const { signal, ...request } = sent!;
    expect(request).toEqual({
      owner: 'acme',
      repo: 'api',
      workflow: 'deploy.yml',
      ref: 'main',
      inputs: { environment: 'staging', sha: 'a'.repeat(40) },
    });
    // Fenced by the lease: the signal aborts once the lease may be lost.
    expect(signal?.aborted).toBe(false);
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
