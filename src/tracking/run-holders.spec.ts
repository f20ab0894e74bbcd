import { RunHolders } from './run-holders';
import type { RunHolder } from './tracking.store';

const origin = { repository: 'Acme/API', workflowPath: '.github/workflows/deploy.yml' };
const holder = (status: RunHolder['status'], observed = false): RunHolder => ({
  id: 'd-1',
  status,
  createdAt: new Date(0),
  workflow: 'deploy.yml',
  observed,
});

describe('RunHolders', () => {
  it('knows nothing of a run it has not seen', () => {
    expect(new RunHolders().nothingToMove(7, origin, 'queued')).toBe(false);
  });

  it('says an event no further than the status reached moves nothing, and only that', () => {
    const holders = new RunHolders();
    holders.remember(7, origin, holder('in_progress'));
    expect(holders.nothingToMove(7, origin, 'queued')).toBe(true);
    expect(holders.nothingToMove(7, origin, 'in_progress')).toBe(true);
    // A completion always reads the deployment.
    expect(holders.nothingToMove(7, origin, 'success')).toBe(false);
    expect(holders.nothingToMove(8, origin, 'queued')).toBe(false);
  });

  it('asks for the repository and the workflow the deployment was found with', () => {
    const holders = new RunHolders();
    holders.remember(7, origin, holder('in_progress'));
    expect(holders.nothingToMove(7, { ...origin, repository: 'acme/api' }, 'queued')).toBe(true);
    expect(holders.nothingToMove(7, { ...origin, repository: 'evil/api' }, 'queued')).toBe(false);
    expect(holders.nothingToMove(7, { ...origin, workflowPath: 'other.yml' }, 'queued')).toBe(
      false,
    );
    expect(holders.nothingToMove(7, { repository: 'acme/api', workflowId: 5 }, 'queued')).toBe(
      false,
    );
  });

  it('raises the floor only forwards', () => {
    const holders = new RunHolders();
    holders.remember(7, origin, holder('dispatched'));
    expect(holders.nothingToMove(7, origin, 'queued')).toBe(false);
    holders.reached(7, 'in_progress');
    expect(holders.nothingToMove(7, origin, 'in_progress')).toBe(true);
    holders.reached(7, 'queued');
    expect(holders.nothingToMove(7, origin, 'in_progress')).toBe(true);
    holders.reached(7, 'failure');
    expect(holders.nothingToMove(7, origin, 'in_progress')).toBe(true);
    holders.reached(7, 'queued');
    expect(holders.nothingToMove(7, origin, 'queued')).toBe(true);
  });

  it('never remembers an observed run (its run may go to another deployment)', () => {
    const holders = new RunHolders();
    holders.remember(7, origin, holder('in_progress', true));
    expect(holders.nothingToMove(7, origin, 'queued')).toBe(false);
    expect(holders.size).toBe(0);
  });

  it('forgets the oldest run past its capacity', () => {
    const holders = new RunHolders(2);
    holders.remember(1, origin, holder('in_progress'));
    holders.remember(2, origin, holder('in_progress'));
    holders.remember(1, origin, holder('in_progress'));
    holders.remember(3, origin, holder('in_progress'));
    expect(holders.size).toBe(2);
    expect(holders.nothingToMove(1, origin, 'queued')).toBe(false);
    expect(holders.nothingToMove(3, origin, 'queued')).toBe(true);
  });
});
