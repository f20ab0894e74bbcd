import { Cluster } from './support/cluster';
import { APP_ID, GATE_CHANNEL, gatedEnv, publicKey } from './support/environment-gate';
import { FakeDiscord, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from './support/fake-github';
import { actorsOf, startFakeDiscord, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Two instances of the built app on one database: GitHub's question reaches one of them, and a
 * redelivery the other; the run gets one Discord request and one answer.
 */
describe('the environment gate with two instances', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    discord.addChannel({ id: GATE_CHANNEL, name: 'deploys' });
    github = await FakeGithub.start();
    github.enableApp(APP_ID, publicKey, { acme: 501 });
  });
  afterAll(async () => {
    await cluster?.close();
    await discord?.close();
    await github?.close();
  });

  it('opens one Discord request and sends one answer', async () => {
    cluster = await Cluster.start(discord, github, { env: gatedEnv });
    const [first, second] = cluster.members;
    const actors = actorsOf(discord);
    github.addRepo('acme', 'gate-ha');
    await cluster.seedService({ name: 'gate-ha', environments: ['staging', 'prod'] });
    github.addEnvironment('acme', 'gate-ha', 'prod', { customRule: true });
    github.deliverWebhooksTo(first!.url, WEBHOOK_SECRET);

    const run = await github.startRun('acme', 'gate-ha', {
      event: 'workflow_dispatch',
      actor: 'octo-dev',
      environment: 'prod',
      jobs: 2,
    });
    // The same deliveries again, to the other instance (a redelivery behind a load balancer).
    for (const delivery of github.deliveries.filter(
      (d) => d.event === 'deployment_protection_rule',
    ))
      await sendWebhook(second!.url, WEBHOOK_SECRET, delivery.event, delivery.payload, {
        deliveryId: delivery.deliveryId,
      });
    const requests = () =>
      discord.messagesIn(GATE_CHANNEL).filter((m) => messageText(m).includes(`#${run.id}`));
    const message = await waitFor('the Discord request', () => requests()[0]);
    for (const admin of [actors.admin, actors.secondAdmin])
      await (await discord.clickButton('Approve', admin, message.id)).firstCallback();
    await waitFor(
      'GitHub to let the run go on',
      () => github.runs.get(run.id)!.status === 'in_progress',
    );
    await waitFor(
      'both instances to have looked at the question since',
      async () =>
        (await cluster!.db
          .collection('gate_requests')
          .countDocuments({ runId: run.id, open: true })) === 0,
    );
    expect(requests()).toHaveLength(1);
    expect(github.protectionAnswers.filter((answer) => answer.runId === run.id)).toHaveLength(1);
    expect(await cluster.db.collection('gate_requests').countDocuments({ runId: run.id })).toBe(1);
  });
});
