import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { aDeployment, aService } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import { AdmissionGuards } from '../admission/admission.guards';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeployService } from '../deploy/deploy.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { RollbackService } from './rollback.service';

const actor = { id: '42', name: 'dana', guildId: '1', roleIds: [], guildAdministrator: false };
const service = aService({ name: 'api', defaultRef: 'main' });
const success = (sha: string, environment = 'prod') =>
  aDeployment({ sha, environment, status: 'success' });

function planner(history: {
  lastOfService?: Deployment | null;
  current?: Deployment | null;
  target?: Deployment | null;
  explicit?: Deployment | null;
}) {
  const calls: string[] = [];
  const rollbacks = new RollbackService(
    strictFake<ServiceRegistryService>('registry', { get: async () => service }, calls),
    strictFake<DeployService>('deploys', { checkTarget: async () => service }, calls),
    strictFake<DeploymentHistory>(
      'history',
      {
        findLastSuccessfulOfService: async () => history.lastOfService ?? null,
        findLastSuccessful: async () => history.current ?? null,
        findRollbackTarget: async () => history.target ?? null,
        findSuccessful: async () => history.explicit ?? null,
      },
      calls,
    ),
    strictFake<AdmissionGuards>(
      'admission',
      { admit: async () => async () => void calls.push('cooldown released') },
      calls,
    ),
    // The service verifies nothing: verified deployments are never asked for.
    strictFake<VerifiedDeployments>('verified', {}, calls),
  );
  return { rollbacks, calls };
}

describe('RollbackService.plan', () => {
  it('puts back the last good SHA, dispatched from the default branch, naming both deployments', async () => {
    const current = success('c'.repeat(40));
    const target = success('b'.repeat(40));
    const { rollbacks, calls } = planner({ current, target });
    const request = await rollbacks.plan(actor, { service: 'api', environment: 'Prod' });
    expect(request.protected).toBe(true);
    expect(request.draft).toMatchObject({
      service: 'api',
      environment: 'prod',
      ref: 'main',
      sha: target.sha,
      rollback: { of: current.id, ofSha: current.sha, to: target.id },
    });
    // The same checks as a deploy first; the cooldown last, once there is something to do.
    expect(calls).toEqual([
      'deploys.checkTarget',
      'history.findLastSuccessful',
      'history.findRollbackTarget',
      'admission.admit',
    ]);
  });

  it('rolls back the environment last deployed successfully when none is named', async () => {
    const current = success('c'.repeat(40), 'staging');
    const { rollbacks } = planner({
      lastOfService: current,
      current,
      target: success('b'.repeat(40), 'staging'),
    });
    const request = await rollbacks.plan(actor, { service: 'api' });
    expect(request.draft.environment).toBe('staging');
  });

  it('goes to an explicit SHA or id only when it succeeded there', async () => {
    const current = success('c'.repeat(40));
    const { rollbacks } = planner({ current, explicit: null });
    await expect(
      rollbacks.plan(actor, { service: 'api', environment: 'prod', to: 'abc1234' }),
    ).rejects.toThrow(
      'Invalid to: "abc1234" is not a deployment id or SHA that succeeded in prod.',
    );
  });

  it('takes no cooldown when there is nothing to roll back', async () => {
    const current = success('c'.repeat(40));
    for (const history of [
      { lastOfService: null },
      { current: null },
      { current, target: null },
      { current, explicit: success(current.sha) },
    ]) {
      const { rollbacks, calls } = planner(history);
      const to = 'explicit' in history ? current.sha : undefined;
      const environment = 'lastOfService' in history ? undefined : 'prod';
      await expect(rollbacks.plan(actor, { service: 'api', environment, to })).rejects.toThrow(
        /nothing to roll back|already what prod runs/,
      );
      expect(calls).not.toContain('admission.admit');
    }
  });
});
