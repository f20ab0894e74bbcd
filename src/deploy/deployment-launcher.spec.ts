import { aDeployment } from '../../test/support/factories';
import { testConfig } from '../../test/support/config';
import { strictFake } from '../../test/support/strict-fake';
import { AdmissionGuards } from '../admission/admission.guards';
import { AdmittedRequest } from '../admission/admitted-request';
import { ApprovalService } from '../approval/approval.service';
import { Deployment } from '../deployments/deployment';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { CiGateService } from '../ci-gate/ci-gate.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { DeploymentLauncher } from './deployment-launcher';

function request(protectedTarget: boolean, calls: string[]): AdmittedRequest {
  return {
    draft: {
      service: 'api',
      environment: protectedTarget ? 'prod' : 'staging',
      ref: 'main',
      sha: 'a'.repeat(40),
      requester: { id: '42', name: 'dana' },
      workflow: {
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        defaultBranch: 'main',
        environmentInput: 'environment',
        shaInput: 'sha',
      },
    },
    protected: protectedTarget,
    release: async () => void calls.push('cooldown released'),
  };
}

function launcher(
  calls: string[],
  started: Awaited<ReturnType<DeploymentTransitions['startInFlight']>>,
  opened?: Deployment,
) {
  return new DeploymentLauncher(
    testConfig({ MAX_CONCURRENT_DEPLOYS: '3' }),
    strictFake<DeploymentTransitions>(
      'transitions',
      {
        startInFlight: async (_draft: unknown, max: number) => {
          calls.push(`slots ${max}`);
          return started;
        },
        attachMessage: async () => undefined,
      },
      calls,
    ),
    strictFake<AdmissionGuards>(
      'admission',
      { refusal: async (reason: string) => new Error(`refused: ${reason}`) },
      calls,
    ),
    strictFake<ApprovalService>('approvals', { open: async () => opened! }, calls),
    strictFake<DispatchService>(
      'dispatcher',
      {
        dispatch: async (d: Deployment, owner: string) => {
          calls.push(`lease ${owner}`);
          return d;
        },
      },
      calls,
    ),
    // No request here names a CI gate: the gate is never asked.
    strictFake<CiGateService>('gate', {}, calls),
  );
}

describe('DeploymentLauncher', () => {
  const publish = async () => ({ channelId: '1', messageId: '2' });

  it('puts an unprotected deploy in flight, shows it, then dispatches it', async () => {
    const calls: string[] = [];
    const deployment = aDeployment({ status: 'dispatching' });
    await launcher(calls, { deployment, leaseOwner: 'host-1-ab#1' }).launch(
      request(false, calls),
      publish,
    );
    expect(calls).toEqual([
      'transitions.startInFlight',
      'slots 3',
      'transitions.attachMessage',
      'dispatcher.dispatch',
      'lease host-1-ab#1',
    ]);
  });

  it('opens an approval request for a protected target and dispatches nothing', async () => {
    const calls: string[] = [];
    const pending = aDeployment({ status: 'pending_approval' });
    await launcher(calls, { refused: 'cap' }, pending).launch(request(true, calls), publish);
    expect(calls).toEqual(['approvals.open', 'transitions.attachMessage']);
  });

  it.each(['busy', 'cap'] as const)(
    'gives the cooldown back when the kernel refuses (%s), and shows nothing',
    async (reason) => {
      const calls: string[] = [];
      await expect(
        launcher(calls, { refused: reason }).launch(request(false, calls), publish),
      ).rejects.toThrow(`refused: ${reason}`);
      expect(calls).toContain('cooldown released');
      expect(calls).not.toContain('transitions.attachMessage');
    },
  );
});
