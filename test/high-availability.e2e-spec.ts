import { randomBytes } from 'node:crypto';
import { Cluster, SKEWED_CLOCK, WITHOUT_CLAIMS } from './support/cluster';
import { deploymentIdOf } from './support/deploys';
import { FakeDiscord, InteractionHandle, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub, sendWebhook } from './support/fake-github';
import { actorsOf, startFakeDiscord, WEBHOOK_SECRET } from './support/test-app';
import { waitFor } from './support/wait-for';

const LOG_CHANNEL = '444444444444444444';
const POLL_MS = 1_000;

/**
 * Two (or more) instances of the built app on one database, against one fake Discord that
 * delivers every interaction to every connected session and answers a second acknowledgement
 * with 40060, and one fake GitHub: every interaction and every background job is handled once.
 */
describe('high availability: instances on one database', () => {
  let discord: FakeDiscord;
  let github: FakeGithub;
  let actors: ReturnType<typeof actorsOf>;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    discord.addChannel({ id: LOG_CHANNEL, name: 'deploy-log' });
    github = await FakeGithub.start();
    actors = actorsOf(discord);
  });
  afterAll(async () => {
    await discord?.close();
    await github?.close();
  });

  const startCluster = (options: Parameters<typeof Cluster.start>[2] = {}) =>
    Cluster.start(discord, github, {
      ...options,
      env: {
        POLL_INTERVAL_MS: String(POLL_MS),
        DEPLOY_CHANNEL_ID: LOG_CHANNEL,
        DEPLOY_COOLDOWN_MS: '0',
        MAX_CONCURRENT_DEPLOYS: '50',
        ...options.env,
      },
    });

  /** A service of its own: a repository on the fake GitHub and its registration. */
  async function newService(cluster: Cluster, environments = ['staging']) {
    const name = `ha-${randomBytes(3).toString('hex')}`;
    github.addRepo('acme', name);
    await cluster.seedService({
      name,
      environments,
      protectedEnvironments: environments.filter((env) => env === 'prod'),
      githubDeployments: 'off',
    });
    return name;
  }

  const dispatchesTo = (repo: string) =>
    github.dispatches.filter((dispatch) => dispatch.repo === repo);

  const announcementsOf = (id: string) =>
    discord.messagesIn(LOG_CHANNEL).filter((message) => message.content.includes(id));

  /** Messages the bot posted for one interaction (its reply), wherever they are. */
  const messagesOf = (handle: InteractionHandle) =>
    discord.messagesIn(handle.channelId!).filter((message) => message.interactionId === handle.id);

  const deployCommand = (service: string, env = 'staging') =>
    discord.command('deploy', actors.deployer, { options: { service, env } });

  /** Exactly one acknowledgement (no second one tried), and one audit entry for the command. */
  async function expectHandledOnce(
    cluster: Cluster,
    handle: InteractionHandle,
    audit: Record<string, unknown>,
  ) {
    await handle.firstCallback();
    expect(handle.callbacks).toHaveLength(1);
    expect(handle.refusedAcknowledgements).toBe(0);
    await waitFor('the audit entry', async () => (await cluster.auditCount(audit)) >= 1);
    expect(await cluster.auditCount(audit)).toBe(1);
  }

  describe('two instances', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster();
    }, 60_000);
    afterAll(() => cluster?.close());

    it('handles each of ten /deploy commands once: one acknowledgement, dispatch, message and audit entry', async () => {
      const services = await Promise.all(Array.from({ length: 10 }, () => newService(cluster)));
      const wonBefore = await cluster.counter('chatops_interaction_claims_total{outcome="won"}');
      const lostBefore = await cluster.counter('chatops_interaction_claims_total{outcome="lost"}');

      const handles = await Promise.all(services.map((service) => deployCommand(service)));
      const ids = await Promise.all(handles.map((handle) => deploymentIdOf(handle)));
      for (const [i, service] of services.entries()) {
        await waitFor(`${ids[i]} dispatched`, async () =>
          ['dispatched', 'queued', 'in_progress'].includes(
            String((await cluster.deployment(ids[i]))?.status),
          ),
        );
        expect(dispatchesTo(service)).toHaveLength(1);
        expect(messagesOf(handles[i])).toHaveLength(1);
        await expectHandledOnce(cluster, handles[i], {
          command: 'deploy',
          'options.service': service,
        });
      }
      // Both instances saw all ten; each was won by one and dropped by the other.
      const won =
        (await cluster.counter('chatops_interaction_claims_total{outcome="won"}')) - wonBefore;
      const lost =
        (await cluster.counter('chatops_interaction_claims_total{outcome="lost"}')) - lostBefore;
      expect(won).toBe(10);
      expect(lost).toBe(10);
    });

    it('dispatches a production request once when two admins approve at the same moment', async () => {
      const service = await newService(cluster, ['staging', 'prod']);
      const request = await deployCommand(service, 'prod');
      const id = await deploymentIdOf(request);
      const messageId = request.reply()!.id;
      const clicks = await Promise.all([
        discord.clickButton('Approve', actors.admin, messageId),
        discord.clickButton('Approve', actors.secondAdmin, messageId),
      ]);
      await waitFor('the dispatch', () => dispatchesTo(service).length > 0);
      for (const [i, click] of clicks.entries()) {
        const admin = i === 0 ? actors.admin : actors.secondAdmin;
        await expectHandledOnce(cluster, click, {
          command: 'button approval/approve',
          'actor.id': admin.user.id,
        });
      }
      // One click approved; the other was told, privately, that the request was approved already.
      expect(clicks.map((click) => click.callbacks[0].type).sort()).toEqual([4, 6]);
      await cluster.waitForStatus(id, 'dispatched', 'queued');
      expect(await cluster.movesTo(id, 'approved')).toBe(1);
      expect(dispatchesTo(service)).toHaveLength(1);
      expect(messagesOf(request)).toHaveLength(1);
      await expectHandledOnce(cluster, request, { command: 'deploy', 'options.service': service });
    });

    it('expires a request once, with one announcement, however many instances sweep', async () => {
      const service = await newService(cluster, ['staging', 'prod']);
      const request = await deployCommand(service, 'prod');
      const id = await deploymentIdOf(request);
      // Its time runs out now (both instances' sweepers look every few hundred ms).
      await cluster.db
        .collection('deployments')
        .updateOne({ _id: id as never }, { $set: { 'approval.expiresAt': new Date() } });
      await waitFor('the announcement', () => announcementsOf(id).length > 0, {
        timeoutMs: 15_000,
      });
      const text = await request.waitForReply((message) => /expired/i.test(messageText(message)));
      expect(messageText(text)).toMatch(/expired/i);
      expect((await cluster.deployment(id))?.status).toBe('expired');
      expect(await cluster.movesTo(id, 'expired')).toBe(1);
      expect(announcementsOf(id)).toHaveLength(1);
      expect(dispatchesTo(service)).toHaveLength(0);
      expect(messagesOf(request)).toHaveLength(1);
      await expectHandledOnce(cluster, request, { command: 'deploy', 'options.service': service });
    });

    it('polls each run from one instance at a time', async () => {
      const services = await Promise.all(Array.from({ length: 4 }, () => newService(cluster)));
      const handles = await Promise.all(services.map((service) => deployCommand(service)));
      const ids = await Promise.all(handles.map((handle) => deploymentIdOf(handle)));
      await Promise.all(ids.map((id) => cluster.runOf(id)));
      const since = Date.now();
      // Each run is refreshed by listing its workflow's runs (one service, one workflow each).
      const pollsOf = (repo: string) =>
        github.calls
          .filter(
            (call) =>
              call.at >= since &&
              new RegExp(`^/repos/acme/${repo}/actions/workflows/[^/]+/runs$`).test(call.path),
          )
          .map((call) => call.at);
      // Watch the polls for a few intervals (no webhooks: polling is all there is).
      await waitFor(
        'several polls of every run',
        () => services.every((service) => pollsOf(service).length >= 4),
        { timeoutMs: 20_000 },
      );
      for (const service of services) {
        const polls = pollsOf(service);
        const gaps = polls.slice(1).map((at, i) => at - polls[i]);
        // Two instances polling the same run would poll it twice per interval.
        expect(Math.min(...gaps)).toBeGreaterThan(POLL_MS / 2);
      }
      // The leases name the instance that holds them.
      const owners = await cluster.db
        .collection('deployments')
        .distinct('leaseOwner', { _id: { $in: ids as never[] } });
      const instances = new Set(cluster.members.map((member) => member.id));
      expect(owners.length).toBeGreaterThan(0);
      for (const owner of owners) expect(instances.has(String(owner).split('#')[0])).toBe(true);
    });

    it('applies a webhook delivery once when it reaches both instances at once', async () => {
      const service = await newService(cluster);
      const id = await deploymentIdOf(await deployCommand(service));
      const runId = await cluster.runOf(id);
      github.setRunStatus(runId, 'completed', 'success');
      const run = github.runs.get(runId)!;
      const payload = { action: 'completed', workflow_run: github.runPayload(run) };
      const deliveryId = `ha-${randomBytes(4).toString('hex')}`;
      const answers = await Promise.all(
        cluster.members.map((member) =>
          sendWebhook(member.url, WEBHOOK_SECRET, 'workflow_run', payload, { deliveryId }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers.map((answer) => JSON.parse(answer.body).status).sort()).toEqual([
        'accepted',
        'duplicate',
      ]);
      await cluster.waitForStatus(id, 'success');
      expect(await cluster.movesTo(id, 'success')).toBe(1);
      await waitFor('the announcement', () => announcementsOf(id).length > 0);
      expect(announcementsOf(id)).toHaveLength(1);

      // An older event arriving late, at the other instance, never takes the deployment back.
      const late = {
        action: 'in_progress',
        workflow_run: { ...payload.workflow_run, status: 'in_progress', conclusion: null },
      };
      const lateAnswer = await sendWebhook(
        cluster.members[1].url,
        WEBHOOK_SECRET,
        'workflow_run',
        late,
      );
      expect(lateAnswer.status).toBe(200);
      expect((await cluster.deployment(id))?.status).toBe('success');
    });

    it('/ping names the instance that answered and every instance alive', async () => {
      const ping = await discord.command('ping', actors.viewer);
      const reply = await ping.waitForReply();
      const answeredBy = cluster.members.find((member) => reply.content.includes(member.id));
      expect(answeredBy).toBeDefined();
      expect(reply.content).toContain('Instances alive: 2.');
      for (const member of cluster.members) expect(reply.content).toContain(member.id);
      expect(ping.callbacks).toHaveLength(1);
      // Every log line names the instance that wrote it.
      const line = answeredBy!.process.output.split('\n').find((l) => l.includes('"msg"'))!;
      expect(JSON.parse(line).instance).toBe(answeredBy!.id);
      // Each start is one gateway IDENTIFY of the 1,000 a day: every instance says what is left.
      for (const member of cluster.members)
        expect(member.process.output).toMatch(/Gateway identifies left today: \d+ of 1000/);
    });
  });

  describe('an instance killed', () => {
    let cluster: Cluster;
    afterEach(() => cluster?.close());

    it('leaves nothing behind: the other answers the next /deploy at once and reports the dead one’s runs', async () => {
      cluster = await startCluster();
      const [doomed, survivor] = cluster.members;
      const services = await Promise.all(Array.from({ length: 4 }, () => newService(cluster)));
      const handles = await Promise.all(services.map((service) => deployCommand(service)));
      const ids = await Promise.all(handles.map((handle) => deploymentIdOf(handle)));
      const runIds = await Promise.all(ids.map((id) => cluster.runOf(id)));
      // Killed while it holds a poll lease: its leases must run out before anyone else polls.
      await waitFor(
        'the doomed instance to hold a poll lease',
        async () =>
          (await cluster.db.collection('deployments').countDocuments({
            _id: { $in: ids as never[] },
            leaseOwner: { $regex: `^${doomed.id}#` },
            leaseUntil: { $gt: new Date() },
          })) > 0,
        { timeoutMs: 15_000, intervalMs: 5 },
      );
      doomed.process.child.kill('SIGKILL');
      await doomed.process.exited();
      cluster.members.splice(cluster.members.indexOf(doomed), 1);
      for (const runId of runIds) github.setRunStatus(runId, 'completed', 'success');

      // Discord's deadline for an acknowledgement is 3 s.
      const next = await deployCommand(await newService(cluster));
      await next.firstCallback(3_000);
      await deploymentIdOf(next);
      const claim = await cluster.db
        .collection('interaction_claims')
        .findOne({ _id: next.id as never });
      expect(claim?.instance).toBe(survivor.id);

      // The runs it was tracking are reported by the survivor once the dead one's leases end.
      for (const [i, id] of ids.entries()) {
        await waitFor(
          `${id} reported`,
          () => /Succeeded/.test(messageText(handles[i].reply()!)) && announcementsOf(id).length,
          { timeoutMs: 35_000 },
        );
        expect(announcementsOf(id)).toHaveLength(1);
        expect(dispatchesTo(services[i])).toHaveLength(1);
      }
    }, 90_000);
  });

  describe('an instance stopped (SIGTERM)', () => {
    let cluster: Cluster;
    afterEach(() => cluster?.close());

    it('hands over: the others take every interaction it no longer claims, and it exits cleanly', async () => {
      cluster = await startCluster();
      const [leaving, staying] = cluster.members;
      const services = await Promise.all(Array.from({ length: 6 }, () => newService(cluster)));
      const first = await Promise.all(
        services.slice(0, 3).map((service) => deployCommand(service)),
      );
      leaving.process.child.kill('SIGTERM');
      await waitFor('the signal to land', () =>
        leaving.process.output.includes('SIGTERM received'),
      );
      const rest = await Promise.all(services.slice(3).map((service) => deployCommand(service)));
      expect((await leaving.process.exited()).code).toBe(0);
      // What came after the signal was claimed by the instance that stays.
      for (const handle of rest) {
        const claim = await cluster.db
          .collection('interaction_claims')
          .findOne({ _id: handle.id as never });
        expect(claim?.instance).toBe(staying.id);
      }
      cluster.members.splice(cluster.members.indexOf(leaving), 1);

      for (const [i, handle] of [...first, ...rest].entries()) {
        await deploymentIdOf(handle);
        await expectHandledOnce(cluster, handle, {
          command: 'deploy',
          'options.service': services[i],
        });
        expect(dispatchesTo(services[i])).toHaveLength(1);
      }
      expect(leaving.process.output).toMatch(/SIGTERM received/);
      // It said goodbye: /ping no longer counts it.
      const ping = await discord.command('ping', actors.viewer);
      expect((await ping.waitForReply()).content).toContain('Instances alive: 1.');
      expect((await ping.waitForReply()).content).toContain(staying.id);
    }, 90_000);
  });

  describe('clocks 5 s apart', () => {
    let cluster: Cluster;
    afterEach(() => cluster?.close());

    it('still handles each interaction and each run once', async () => {
      cluster = await startCluster({ size: 1 });
      const before = Date.now();
      const ahead = await cluster.add({
        NODE_OPTIONS: `--require ${SKEWED_CLOCK}`,
        CLOCK_SKEW_MS: '5000',
      });
      // Its clock is 5 s ahead: so are the times it logs.
      const listening = ahead.process.output.split('\n').find((l) => l.includes('Listening on'))!;
      expect(JSON.parse(listening).time).toBeGreaterThanOrEqual(before + 5_000);
      const services = await Promise.all(Array.from({ length: 4 }, () => newService(cluster)));
      const handles = await Promise.all(services.map((service) => deployCommand(service)));
      const ids = await Promise.all(handles.map((handle) => deploymentIdOf(handle)));
      for (const id of ids) github.setRunStatus(await cluster.runOf(id), 'completed', 'success');
      // Reported by polling (no webhooks), by whichever instance holds each run's lease.
      for (const [i, id] of ids.entries()) {
        await waitFor(`${id} reported`, () => announcementsOf(id).length > 0, {
          timeoutMs: 20_000,
        });
        expect(messageText(handles[i].reply()!)).toMatch(/Succeeded/);
        expect(await cluster.movesTo(id, 'success')).toBe(1);
      }
      for (const [i, service] of services.entries()) {
        expect(announcementsOf(ids[i])).toHaveLength(1);
        expect(dispatchesTo(service)).toHaveLength(1);
        expect(messagesOf(handles[i])).toHaveLength(1);
        await expectHandledOnce(cluster, handles[i], {
          command: 'deploy',
          'options.service': service,
        });
      }
      // Both instances took part.
      expect(await cluster.counter('chatops_interaction_claims_total{outcome="lost"}')).toBe(4);
    }, 90_000);
  });

  describe('control: the same two instances without the claim', () => {
    let cluster: Cluster;
    afterEach(() => cluster?.close());

    it('shows the duplicates the claim prevents', async () => {
      cluster = await startCluster({ preload: WITHOUT_CLAIMS });
      const service = await newService(cluster);
      const handle = await deployCommand(service);
      await deploymentIdOf(handle);
      // Both instances ran the handler: two acknowledgements tried (Discord refused the second
      // with 40060), both counted as won. With the claim: one of each (the tests above).
      await waitFor('the second acknowledgement', () => handle.refusedAcknowledgements > 0);
      expect(handle.callbacks).toHaveLength(1);
      expect(await cluster.counter('chatops_interaction_claims_total{outcome="won"}')).toBe(2);
      expect(await cluster.counter('chatops_interaction_claims_total{outcome="lost"}')).toBe(0);
    }, 60_000);
  });
});
