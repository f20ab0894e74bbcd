import { Cluster } from './support/cluster';
import { FakeDiscord, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { snowflake } from './support/snowflake';
import { startFakeDiscord } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Two instances of the built app on one database: a weekly digest due now is posted once. */
describe('the weekly digest with two instances', () => {
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

  it('posts the digest due a minute ago exactly once, with its chart', async () => {
    const channel = { id: snowflake(), name: 'delivery' };
    discord.addChannel(channel);
    github.addRepo('acme', 'digest-ha');
    cluster = await Cluster.start(discord, github, {
      size: 0,
      env: { POLL_INTERVAL_MS: '600000' },
    });
    // Due a minute ago (UTC), set a day ago: both instances find it due when they start.
    const due = new Date(Date.now() - 60_000);
    due.setUTCSeconds(0, 0);
    await cluster.seedService({
      name: 'digest-ha',
      environments: ['staging', 'prod'],
      protectedEnvironments: ['prod'],
      digest: {
        channelId: channel.id,
        weekday: due.getUTCDay() || 7,
        time: `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')}`,
        timeZone: 'UTC',
        since: new Date(Date.now() - 86_400_000),
      },
    });
    await Promise.all([cluster.add(), cluster.add()]);

    const [digest] = await waitFor('the digest', () => {
      const posted = discord.messagesIn(channel.id);
      return posted.length ? posted : undefined;
    });
    expect(messageText(digest)).toContain('Weekly delivery digest: digest-ha');
    expect(messageText(digest)).toContain('No deployment to prod finished in the last 7 days.');
    expect(digest.files?.map((file) => file.name)).toEqual(['delivery.png']);
    const record = await waitFor('the digest recorded as posted', async () => {
      const doc = await cluster!.db
        .collection('digest_posts')
        .findOne({ _id: `digest-ha@${due.toISOString().slice(0, 10)}` as never });
      return doc?.state === 'posted' ? doc : undefined;
    });
    expect(record).toMatchObject({ attempts: 1, service: 'digest-ha' });
    expect(await cluster.db.collection('digest_posts').countDocuments()).toBe(1);
    // Both instances look every 5 seconds: wait until each has settled this digest (its log says
    // which posted it; the other found it posted), and there is still one message.
    await waitFor(
      'both instances to have looked',
      () =>
        cluster!.members.every((member) =>
          /Weekly digest of digest-ha (posted|settled by another)/.test(member.process.output),
        ),
      { timeoutMs: 20_000 },
    );
    expect(
      cluster.members.filter((member) =>
        /Weekly digest of digest-ha posted/.test(member.process.output),
      ),
    ).toHaveLength(1);
    expect(discord.messagesIn(channel.id)).toHaveLength(1);
  });
});
