import { ManualClock } from '../../libs/clock';
import { aDeployment } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment } from '../deployments/deployment';
import { DeploymentGithubStore } from './github-record.store';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient, GithubDeploymentStatusRequest } from '../github/github.client';
import { GithubError } from '../github/github.errors';
import { GithubDeploymentsService, MAX_ATTEMPTS } from './github-deployments.service';

const NOW = new Date('2026-11-24T10:00:00Z');
const source = { owner: 'acme', repo: 'api', workflow: 'deploy.yml', inputs: {} };

function recorded(overrides: Partial<Deployment> = {}): Deployment {
  return aDeployment({
    source,
    dispatchRequestedAt: NOW,
    runUrl: 'https://github.com/acme/api/actions/runs/9',
    githubDeployment: { production: false, id: 41, environmentUrl: 'https://staging.example' },
    ...overrides,
  });
}

function harness(
  github: Partial<GithubClient>,
  history: Partial<DeploymentHistory> = {},
  leaseHeld = true,
) {
  const calls: string[] = [];
  const posted: GithubDeploymentStatusRequest[] = [];
  const notes: string[] = [];
  const service = new GithubDeploymentsService(
    strictFake<GithubClient>(
      'github',
      {
        createDeploymentStatus: async (request: GithubDeploymentStatusRequest) =>
          void posted.push(request),
        ...github,
      },
      calls,
    ),
    strictFake<DeploymentGithubStore>(
      'store',
      {
        recordCreated: async (_id: string, githubId: number) => githubId,
        recordError: async (_id: string, error: string) => void notes.push(error),
        renew: async () => leaseHeld,
      },
      calls,
    ),
    strictFake<DeploymentHistory>('history', history, calls),
    new ManualClock(NOW),
  );
  return { service, calls, posted, notes };
}

const fresh = { attempts: 0, replacedInactive: false };

describe('GithubDeploymentsService.sync', () => {
  it('posts the state of the status with the run as its log, and the URL only with success', async () => {
    const { service, posted } = harness({});
    expect(await service.sync(recorded({ status: 'in_progress' }), fresh)).toEqual({
      syncedStatus: 'in_progress',
      close: false,
      state: 'in_progress',
      replacedInactive: false,
    });
    await service.sync(recorded({ status: 'success' }), fresh);
    expect(posted).toEqual([
      expect.objectContaining({
        state: 'in_progress',
        deploymentId: 41,
        logUrl: 'https://github.com/acme/api/actions/runs/9',
      }),
      expect.objectContaining({ state: 'success', environmentUrl: 'https://staging.example' }),
    ]);
    expect(posted[0].environmentUrl).toBeUndefined();
  });

  it('posts nothing once its lease was taken over (its successor posts the newest state)', async () => {
    const { service, posted } = harness({}, {}, false);
    const result = await service.sync(recorded({ status: 'success' }), {
      ...fresh,
      lease: 'host-a#1',
    });
    expect(posted).toEqual([]);
    expect(result).toEqual({ retryAt: NOW });
  });

  it('does not post a state twice (dispatched and queued are both queued)', async () => {
    const { service, posted } = harness({});
    const deployment = recorded({
      status: 'queued',
      githubDeployment: { production: false, id: 41, state: 'queued' },
    });
    expect(await service.sync(deployment, fresh)).toMatchObject({ syncedStatus: 'queued' });
    expect(posted).toEqual([]);
  });

  it('tells GitHub nothing about a request that was never dispatched, and closes', async () => {
    const { service, calls } = harness({});
    const deployment = recorded({
      status: 'rejected',
      dispatchRequestedAt: undefined,
      githubDeployment: { production: true },
    });
    expect(await service.sync(deployment, fresh)).toEqual({
      syncedStatus: 'rejected',
      close: true,
    });
    expect(calls).toEqual([]);
  });

  it('adopts the deployment a lost answer created before creating one', async () => {
    const { service, calls } = harness({ findDeployment: async () => 77 });
    const deployment = recorded({
      status: 'dispatched',
      githubDeployment: { production: false },
    });
    await service.sync(deployment, fresh);
    expect(calls).toEqual([
      'github.findDeployment',
      'store.recordCreated',
      'github.createDeploymentStatus',
    ]);
  });

  it('retries a failure that may pass, then gives up with a note', async () => {
    const outage = new GithubError('GITHUB.UNAVAILABLE', 'GitHub is having trouble (502).', 502);
    const { service, notes } = harness({
      createDeploymentStatus: async () => {
        throw outage;
      },
    });
    const retried = await service.sync(recorded({ status: 'success' }), fresh);
    expect(retried).toEqual({ retryAt: new Date(NOW.getTime() + 2_000) });
    const last = await service.sync(recorded({ status: 'success' }), {
      ...fresh,
      attempts: MAX_ATTEMPTS - 1,
    });
    expect(last).toMatchObject({ close: true, syncedStatus: 'success' });
    expect(notes).toEqual(["GitHub's record not updated: GitHub is having trouble (502)."]);
    // A deployment still running is never given up on: its final status is still to come.
    const running = await service.sync(recorded({ status: 'in_progress' }), {
      ...fresh,
      attempts: MAX_ATTEMPTS + 3,
    });
    expect(running.retryAt).toEqual(new Date(NOW.getTime() + 300_000));
    expect(notes).toHaveLength(1);
  });

  it('marks the deployment a successful rollback replaced inactive, once', async () => {
    const replaced = recorded({ id: 'd-aaaaaa', githubDeployment: { production: true, id: 12 } });
    const { service, posted } = harness({}, { findById: async () => replaced });
    const rollback = recorded({
      status: 'success',
      rollback: { of: 'd-aaaaaa', ofSha: replaced.sha, to: 'd-bbbbbb' },
    });
    const result = await service.sync(rollback, fresh);
    expect(result).toMatchObject({ replacedInactive: true, state: 'success' });
    expect(posted.map((p) => [p.deploymentId, p.state])).toEqual([
      [41, 'success'],
      [12, 'inactive'],
    ]);
    const synced = {
      ...rollback,
      githubDeployment: { ...rollback.githubDeployment!, state: 'success' as const },
    };
    await service.sync(synced, { ...fresh, replacedInactive: true });
    expect(posted).toHaveLength(2);
  });

  it('does not count a replaced deployment as marked when it has no GitHub record', async () => {
    const replaced = recorded({ id: 'd-aaaaaa', githubDeployment: { production: true } });
    const { service } = harness({}, { findById: async () => replaced });
    const rollback = recorded({
      status: 'success',
      rollback: { of: 'd-aaaaaa', ofSha: replaced.sha, to: 'd-bbbbbb' },
    });
    expect(await service.sync(rollback, fresh)).toMatchObject({ replacedInactive: false });
  });
});
