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
    expect(new RunHolders().nothingToMove(7, 1, origin, 'queued')).toBe(false);
  });

  it('says an event no further than the status reached moves nothing, and only that', () => {
    const holders = new RunHolders();
    holders.remember(7, 1, origin, holder('in_progress'));
    expect(holders.nothingToMove(7, 1, origin, 'queued')).toBe(true);
    expect(holders.nothingToMove(7, 1, origin, 'in_progress')).toBe(true);
    // A completion always reads the deployment.
    expect(holders.nothingToMove(7, 1, origin, 'success')).toBe(false);
    expect(holders.nothingToMove(8, 1, origin, 'queued')).toBe(false);
  });

  it('asks for the attempt, the repository and the workflow the deployment was found with', () => {
    const holders = new RunHolders();
    holders.remember(7, 1, origin, holder('in_progress'));
    // A re-run keeps the run id: its deployment may be another one.
    expect(holders.nothingToMove(7, 2, origin, 'queued')).toBe(false);
    expect(holders.nothingToMove(7, 1, { ...origin, repository: 'acme/api' }, 'queued')).toBe(true);
    expect(holders.nothingToMove(7, 1, { ...origin, repository: 'evil/api' }, 'queued')).toBe(
      false,
    );
    expect(holders.nothingToMove(7, 1, { ...origin, workflowPath: 'other.yml' }, 'queued')).toBe(
      false,
    );
    expect(holders.nothingToMove(7, 1, { repository: 'acme/api', workflowId: 5 }, 'queued')).toBe(
      false,
    );
  });

  it('raises the floor only forwards, and stops answering once the deployment has ended', () => {
    const holders = new RunHolders();
    holders.remember(7, 1, origin, holder('dispatched'));
    expect(holders.nothingToMove(7, 1, origin, 'queued')).toBe(false);
    holders.reached(7, 'in_progress');
    expect(holders.nothingToMove(7, 1, origin, 'in_progress')).toBe(true);
    holders.reached(7, 'queued');
    expect(holders.nothingToMove(7, 1, origin, 'in_progress')).toBe(true);
    // Ended, it may give its run to a re-run's deployment: every event reads again.
    holders.reached(7, 'failure');
    expect(holders.nothingToMove(7, 1, origin, 'in_progress')).toBe(false);
  });

  it('never remembers an observed or ended deployment, and forgets what it knew of the run', () => {
    const holders = new RunHolders();
    holders.remember(7, 1, origin, holder('in_progress'));
    holders.remember(7, 2, origin, holder('in_progress', true));
    expect(holders.nothingToMove(7, 1, origin, 'queued')).toBe(false);
    holders.remember(8, 1, origin, holder('in_progress'));
    holders.remember(8, 1, origin, holder('success'));
    expect(holders.nothingToMove(8, 1, origin, 'queued')).toBe(false);
    expect(holders.size).toBe(0);
  });

  it('forgets the oldest run past its capacity', () => {
    const holders = new RunHolders(2);
    holders.remember(1, 1, origin, holder('in_progress'));
    holders.remember(2, 1, origin, holder('in_progress'));
    holders.remember(1, 1, origin, holder('in_progress'));
    holders.remember(3, 1, origin, holder('in_progress'));
    expect(holders.size).toBe(2);
    expect(holders.nothingToMove(1, 1, origin, 'queued')).toBe(false);
    expect(holders.nothingToMove(3, 1, origin, 'queued')).toBe(true);
  });
});
