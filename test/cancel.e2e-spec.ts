import {
  answerOf,
  deploy,
  newService,
  runOf,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { startAppWithFakes, TestApp } from './support/test-app';

describe('/cancel', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '300' } });
  });
  afterAll(() => app?.closeAll());

  const cancel = async (actor: keyof TestApp['actors'], id: string) =>
    answerOf(await app.discord.command('cancel', app.actors[actor], { options: { id } }));

  it('cancels the run on GitHub and follows it to its real final status', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'dispatched');
    const runId = await runOf(app, id);

    expect(await cancel('viewer', id)).toBe(
      'Only the requester or an admin for staging can cancel this deployment.',
    );
    expect(await cancel('deployer', id)).toBe(
      `Cancellation requested: GitHub is stopping run #${runId}. The deployment's message follows the run to its final status.`,
    );
    expect(
      app.github.calls.some(
        (call) => call.method === 'POST' && call.path.endsWith(`/actions/runs/${runId}/cancel`),
      ),
    ).toBe(true);
    await waitForStatus(app, id, 'cancelled');
    await waitForMessageText(app, interaction, 'Cancelled');
    expect(await cancel('deployer', id)).toBe(`Deployment ${id} has already ended (cancelled).`);
  });

  it('withdraws a request waiting for approval, dispatching nothing', async () => {
    const service = await newService(app);
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'prod');
    const dispatches = app.github.dispatches.length;
    expect(await cancel('admin', id)).toBe(`Request ${id} cancelled; nothing was dispatched.`);
    await waitForStatus(app, id, 'rejected');
    await waitForMessageText(app, interaction, 'Cancelled by alice-admin');
    expect(app.github.dispatches.length).toBe(dispatches);
    expect(await cancel('admin', id)).toBe(`Deployment ${id} has already ended (rejected).`);
  });

  it('says so for an id that is not a deployment', async () => {
    expect(await cancel('admin', 'd-000000')).toBe('Unknown deployment "d-000000".');
    const forged = await app.discord.command('cancel', app.actors.admin, {
      options: { id: '<@here>' },
    });
    expect(await answerOf(forged)).toBe('Unknown deployment "<@here>".');
    // Shown as typed, never as a mention.
    expect(forged.reply()!.content).toBe('Unknown deployment "\\<\\@here\\>".');
  });
});
