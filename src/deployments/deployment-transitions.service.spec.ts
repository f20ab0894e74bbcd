import { DeploymentGateRepository } from './deployment-gate.repository';
import { DeploymentJobs } from './deployment-jobs.repository';
import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { aDeployment } from '../../test/support/factories';
import { strictFake } from '../../test/support/strict-fake';
import { Deployment, DeploymentDraft } from './deployment';
import { DeploymentClaims } from './deployment-claims.repository';
import { DeploymentTransitions } from './deployment-transitions.service';
import { DeploymentEvent, DeploymentEvents } from './deployment.events';
import { DeploymentRepository, InsertOutcome } from './deployment.repository';

const NOW = new Date();
const draft: DeploymentDraft = {
  service: 'api',
  environment: 'staging',
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
    idInput: 'deployment_id',
  },
};

function kernel(repository: Partial<DeploymentRepository>) {
  const events = new DeploymentEvents();
  const seen: DeploymentEvent[] = [];
  events.onAny('test', (event) => void seen.push(event));
  const transitions = new DeploymentTransitions(
    strictFake<DeploymentRepository>('deployments', repository),
    strictFake<DeploymentGateRepository>('gate'),
    strictFake<DeploymentClaims>('claims'),
    events,
    strictFake<DeploymentJobs>('jobs'),
    new ManualClock(NOW),
    new Instance('host-1-ab12cd'),
  );
  return { transitions, events, seen };
}

describe('DeploymentTransitions', () => {
  it('creates a deployment in flight with its id in the inputs, drawing another id on a collision', async () => {
    const inserted: Deployment[] = [];
    const outcomes: InsertOutcome[] = [{ inserted: false, reason: 'id' }, { inserted: true }];
    const { transitions, events, seen } = kernel({
      insertInFlight: async (deployment) => {
        inserted.push(deployment);
        return outcomes.shift()!;
      },
    });
    const started = await transitions.startInFlight(draft, 3, 30_000);
    expect(inserted).toHaveLength(2);
    expect(inserted[0].id).not.toBe(inserted[1].id);
    const deployment = (started as { deployment: Deployment }).deployment;
    expect(deployment).toMatchObject({
      status: 'dispatching',
      dispatchRef: 'main',
      dispatchRequestedAt: NOW,
      source: { inputs: { environment: 'staging', sha: draft.sha, deployment_id: deployment.id } },
    });
    await events.settled();
    expect(seen.map((event) => event.type)).toEqual(['created']);
  });

  it('says why nothing was created when the target is busy or the cap reached', async () => {
    const { transitions, events, seen } = kernel({
      insertInFlight: async () => ({ inserted: false, reason: 'cap' }),
    });
    expect(await transitions.startInFlight(draft, 3, 30_000)).toEqual({ refused: 'cap' });
    await events.settled();
    expect(seen).toEqual([]);
  });

  it('tells everyone a move once it is stored, and a terminal one as finished too', async () => {
    const moved = aDeployment({
      status: 'success',
      transitions: [
        { status: 'dispatching', at: NOW },
        { status: 'in_progress', at: NOW },
        { status: 'success', at: NOW },
      ],
    });
    const { transitions, events, seen } = kernel({ transition: async () => moved });
    await transitions.move(moved.id, 'success');
    await events.settled();
    expect(seen.map((event) => [event.type, 'from' in event ? event.from : undefined])).toEqual([
      ['moved', 'in_progress'],
      ['finished', 'in_progress'],
    ]);
  });

  it('tells no one about a move another change beat', async () => {
    const { transitions, events, seen } = kernel({ transition: async () => null });
    expect(await transitions.move('d-000001', 'success')).toBeNull();
    await events.settled();
    expect(seen).toEqual([]);
  });
});

describe('DeploymentEvents', () => {
  it('runs listeners after the caller, and one failing listener never stops another', async () => {
    const events = new DeploymentEvents();
    const order: string[] = [];
    events.on('finished', 'failing', () => {
      throw new Error('boom');
    });
    events.on(['finished'], 'counting', () => void order.push('listener'));
    events.on('created', 'other type', () => void order.push('wrong type'));
    events.emit({ type: 'finished', deployment: aDeployment(), from: 'in_progress' });
    order.push('caller');
    await events.settled();
    expect(order).toEqual(['caller', 'listener']);
  });
});
