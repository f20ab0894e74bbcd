import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { aDeployment } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Deployment } from '../deployments/deployment';
import { DeploymentLeases } from '../deployments/deployment-leases.repository';
import { DispatchResumer } from './dispatch-resumer';
import { DispatchService } from './dispatch.service';

describe('DispatchResumer', () => {
  it('dispatches what was approved and never sent, under the lease it claimed, once each', async () => {
    const stranded = [aDeployment({ status: 'approved' }), aDeployment({ status: 'approved' })];
    const sent: Array<[string, string]> = [];
    const resumer = new DispatchResumer(
      strictFake<DeploymentLeases>('leases', {
        claimStranded: async () => stranded.shift() ?? null,
      }),
      strictFake<DispatchService>('dispatcher', {
        dispatchApproved: async (deployment: Deployment, owner: string) => {
          sent.push([deployment.id, owner]);
          return deployment;
        },
      }),
      strictFake<SchedulerRegistry>('scheduler'),
      new Instance('host-1-ab12cd'),
      new ManualClock(new Date()),
    );
    const ids = stranded.map((deployment) => deployment.id);
    await resumer.round();
    expect(sent).toEqual([
      [ids[0], 'host-1-ab12cd#1'],
      [ids[1], 'host-1-ab12cd#2'],
    ]);
  });
});
