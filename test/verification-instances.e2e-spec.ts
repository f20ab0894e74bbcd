import { Cluster } from './support/cluster';
import { FakeDiscord, InteractionHandle, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from './support/fake-github';
import { HealthEndpoint } from './support/health-endpoint';
import { actorsOf, startFakeDiscord, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Two instances of the built app on one database verify the same deployments: each probe is
 * made by one of them, and a failed verification is rolled back exactly once.
 */
describe('verification with two instances', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let health: HealthEndpoint;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    github = await FakeGithub.start();
    health = await HealthEndpoint.start();
  });
  afterAll(async () => {
    await cluster?.close();
    await discord?.close();
    await github?.close();
    await health?.close();
  });

  const answer = (handle: InteractionHandle) =>
    waitFor(`an answer to ${handle.id}`, () => {
      const message = handle.followUps()[0] ?? handle.reply();
      return message && !(message.flags & 128) ? messageText(message) : undefined;
    });

  it('rolls a failed verification back once, and both instances agree', async () => {
    cluster = await Cluster.start(discord, github, {
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '600000',
        VERIFY_ALLOWED_HOSTS: '127.0.0.1',
        VERIFY_PROBE_TIMEOUT_MS: '1000',
      },
    });
    const actors = actorsOf(discord);
    github.addRepo('acme', 'verify-ha');
    await cluster.seedService({
      name: 'verify-ha',
      environments: ['staging', 'prod'],
      targets: {
        staging: {
          verification: {
            url: health.url('/ha'),
            expectStatus: 200,
            // Real time here: a short soak, a probe every second.
            soakMs: 3_000,
            intervalMs: 1_000,
            failuresToFail: 2,
            autoRollback: true,
            onRunFailure: false,
          },
        },
      },
    });
    const [first, second] = cluster.members;
    const verification = async (id: string) =>
      ((await cluster!.deployment(id)) as { verification?: Record<string, unknown> } | null)
        ?.verification as
        { state: string; rollback?: { state: string; deploymentId?: string } } | undefined;
    const shipAndFinish = async (subject: string, url: string) => {
      const sha = github.addCommit('acme', 'verify-ha', 'main', subject);
      const handle = await discord.command('deploy', actors.deployer, {
        options: { service: 'verify-ha', env: 'staging' },
      });
      const id = /Deployment: (d-[0-9a-f]{6})/.exec(await answer(handle))![1];
      const runId = await cluster!.runOf(id);
      github.setRunStatus(runId, 'completed', 'success');
      await sendWebhook(url, WEBHOOK_SECRET, 'workflow_run', {
        action: 'completed',
        workflow_run: github.runPayload(github.runs.get(runId)!),
      });
      await cluster!.waitForStatus(id, 'success');
      return { id, sha };
    };

    const v1 = await shipAndFinish('v1', first!.url);
    await waitFor('v1 to be verified', async () =>
      (await verification(v1.id))?.state === 'verified' ? true : undefined,
    );
    const v2 = await shipAndFinish('v2: breaks health', second!.url);
    health.answer('/ha', 503);
    const failed = await waitFor('v2 to be rolled back', async () => {
      const state = await verification(v2.id);
      return state?.rollback?.state === 'started' ? state : undefined;
    });
    expect(failed.state).toBe('failed');

    const rollbacks = await cluster.db
      .collection('deployments')
      .find({ 'rollback.of': v2.id })
      .toArray();
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]!.sha).toBe(v1.sha);
    await cluster.waitForStatus(rollbacks[0]!._id as unknown as string, 'dispatched');
    expect(
      github.dispatches.filter((d) => d.repo === 'verify-ha' && d.inputs.sha === v1.sha),
    ).toHaveLength(2);
    const lock = await cluster.db
      .collection('target_locks')
      .findOne({ service: 'verify-ha', environment: 'staging' });
    expect(lock?.reason).toContain(`held after the automatic rollback of ${v2.id}`);
    // Counted once across the instances: by whichever one started it.
    const series = 'chatops_automatic_rollbacks_total{environment="staging",outcome="started"}';
    expect((await first!.counter(series)) + (await second!.counter(series))).toBe(1);
    expect(
      await cluster.auditCount({ command: 'automatic rollback', 'options.failed': v2.id }),
    ).toBe(1);
    const failures = 'chatops_verifications_total{environment="staging",outcome="failed"}';
    expect((await first!.counter(failures)) + (await second!.counter(failures))).toBe(1);
  });
});
