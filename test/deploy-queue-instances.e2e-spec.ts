import { Cluster } from './support/cluster';
import { FakeDiscord, InteractionHandle, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from './support/fake-github';
import { actorsOf, newDeployer, startFakeDiscord, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Two instances of the built app on one database, one of them killed and replaced while three
 * requests wait: each is admitted once, in order, whichever instance hears the run end.
 */
describe('the queue with two instances and a restart', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
  });
  afterAll(async () => {
    await cluster?.close();
    await discord?.close();
    await github?.close();
  });

  const answer = (handle: InteractionHandle) =>
    waitFor(`an answer to ${handle.id}`, () => {
      const message = handle.followUps()[0] ?? handle.reply();
      return message && !(message.flags & 128) ? messageText(message) : undefined;
    });

  it('admits each queued request exactly once, in order, across a SIGKILL', async () => {
    cluster = await Cluster.start(discord, github, {
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' },
    });
    const actors = actorsOf(discord);
    github.addRepo('acme', 'queue-ha');
    await cluster.seedService({ name: 'queue-ha', environments: ['staging', 'prod'] });
    const target = { service: 'queue-ha', env: 'staging' };
    const finish = async (id: string, url: string) => {
      const runId = await cluster!.runOf(id);
      github.setRunStatus(runId, 'completed', 'success');
      const run = github.runs.get(runId)!;
      await sendWebhook(url, WEBHOOK_SECRET, 'workflow_run', {
        action: 'completed',
        workflow_run: github.runPayload(run),
      });
      await cluster!.waitForStatus(id, 'success');
    };

    const busy = await discord.command('deploy', actors.deployer, { options: target });
    const busyId = /Deployment: (d-[0-9a-f]{6})/.exec(await answer(busy))![1];
    await cluster.waitForStatus(busyId, 'dispatched');
    const members = [actors.deployer, newDeployer(discord, 'erin'), newDeployer(discord, 'frank')];
    const entries: string[] = [];
    for (const member of members) {
      const handle = await discord.command('deploy', member, {
        options: { ...target, queue: true },
      });
      entries.push(/^Queued as (q-[0-9a-f]{6})/.exec(await answer(handle))![1]);
    }

    // One instance dies; another takes its place.
    const [doomed] = cluster.members;
    doomed!.process.child.kill('SIGKILL');
    cluster.members.splice(0, 1);
    await cluster.add();
    const [first, second] = cluster.members;

    await finish(busyId, first!.url);
    const ids: string[] = [];
    for (const [i, entry] of entries.entries()) {
      const deployment = await waitFor(`the deployment of ${entry}`, () =>
        cluster!.db.collection('deployments').findOne({ 'queued.entryId': entry }),
      );
      ids.push(deployment._id as unknown as string);
      await cluster.waitForStatus(ids[i], 'dispatched');
      await finish(ids[i], (i % 2 ? first : second)!.url);
    }
    const admitted = await cluster.db
      .collection('deployments')
      .find({ 'queued.entryId': { $in: entries } })
      .sort({ createdAt: 1 })
      .toArray();
    expect(
      admitted.map((deployment) => (deployment.queued as { entryId: string }).entryId),
    ).toEqual(entries);
    expect(github.dispatches.filter((dispatch) => dispatch.repo === 'queue-ha')).toHaveLength(4);
    // Each entry's turn ends once its deployment has (the last one's at the next look).
    await waitFor(
      'every entry to be done',
      async () =>
        (await cluster!.db
          .collection('queue_entries')
          .countDocuments({ _id: { $in: entries as never[] }, state: 'done' })) === 3,
    );
  });
});
