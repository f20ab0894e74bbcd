import {
  answerOf,
  deploy,
  finishRun,
  metricsOf,
  newService,
  refusalOf,
  runDeploy,
  waitForStatus,
} from './support/deploys';
import { Actor, messageText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { newDeployer, startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('the queue of a target', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000', MAX_CONCURRENT_DEPLOYS: '20' },
    });
  });
  afterAll(() => app?.closeAll());

  const queue = async (actor: Actor, service: string, env: string, ref?: string) => {
    const handle = await app.discord.command('deploy', actor, {
      options: { service, env, queue: true, ...(ref ? { ref } : {}) },
    });
    const answer = await answerOf(handle);
    const id = /^Queued as (q-[0-9a-f]{6})/.exec(answer)?.[1];
    if (!id) throw new Error(`not queued: ${answer}`);
    return { id, answer };
  };
  const deploymentOf = (entryId: string) =>
    waitFor(`the deployment of ${entryId}`, async () =>
      appConnection(app.app).collection('deployments').findOne({ 'queued.entryId': entryId }),
    );

  it('dispatches three queued requests one after another, in order, each checked again, none twice', async () => {
    const service = await newService(app);
    const busy = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, busy.id, 'dispatched');
    const members = [
      app.actors.deployer,
      newDeployer(app.discord, 'erin'),
      newDeployer(app.discord, 'frank'),
    ];
    const entries = [];
    for (const member of members) entries.push(await queue(member, service.name, 'staging'));
    expect(
      entries.map((entry) => /next in line|number \d in line/.exec(entry.answer)?.[0]),
    ).toEqual(['next in line', 'number 2 in line', 'number 3 in line']);
    const shown = await answerOf(
      await app.discord.command('queue', app.actors.viewer, {
        options: { service: service.name, env: 'staging' },
      }),
    );
    expect(shown).toContain(`Waiting for: ${busy.id} is in flight there`);
    expect(shown.indexOf(entries[0].id)).toBeLessThan(shown.indexOf(entries[1].id));
    expect(shown.indexOf(entries[1].id)).toBeLessThan(shown.indexOf(entries[2].id));

    // main moves while they wait: each is resolved when admitted, and says so.
    const moved = app.github.addCommit('acme', service.repo, 'main', 'meanwhile');
    const dispatchesBefore = app.github.dispatches.length;
    await finishRun(app, busy.id);
    const ids: string[] = [];
    for (const [i, entry] of entries.entries()) {
      const deployment = await deploymentOf(entry.id);
      ids.push(deployment._id as unknown as string);
      expect(deployment.sha).toBe(moved);
      expect(deployment.requester).toMatchObject({ id: members[i].user.id });
      await waitForStatus(app, ids[i], 'dispatched');
      // The next waits until this one ends.
      if (i < 2) {
        expect(
          await appConnection(app.app)
            .collection('deployments')
            .countDocuments({ 'queued.entryId': entries[i + 1].id }),
        ).toBe(0);
      }
      const message = await waitFor('its message, mentioning the requester', () =>
        app.discord
          .messagesIn(app.discord.defaultChannelId)
          .find(
            (m) =>
              messageText(m).includes(ids[i]) &&
              m.history[0].content.includes(`<@${members[i].user.id}>`),
          ),
      );
      expect(messageText(message)).toContain('moved while it waited');
      await finishRun(app, ids[i]);
    }
    expect(app.github.dispatches.length).toBe(dispatchesBefore + 3);
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ 'queued.entryId': { $in: entries.map((entry) => entry.id) } }),
    ).toBe(3);
    const mentions = app.discord
      .messagesIn(app.discord.defaultChannelId)
      .filter(
        (m) =>
          members.some((member) => m.history[0].content.includes(`<@${member.user.id}>`)) &&
          ids.some((id) => messageText(m).includes(id)),
      );
    expect(mentions).toHaveLength(3);
    expect(await metricsOf(app)).toMatch(/chatops_queue_total\{outcome="admitted"\} [3-9]/);
  });

  it('offers "Queue it" on a busy target, and /cancel takes an entry out', async () => {
    const service = await newService(app);
    const busy = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, busy.id, 'dispatched');
    const erin = newDeployer(app.discord, 'erin');
    const refused = await runDeploy(app, erin, service.name, 'staging');
    expect(await refusalOf(refused)).toContain(`already has deployment ${busy.id}`);
    const click = await app.discord.clickButton('Queue it', erin, refused.followUps()[0].id);
    const queued = await click.waitForReply((m) => m.content.startsWith('Queued as'));
    const entryId = /Queued as (q-[0-9a-f]{6})/.exec(queued.content)![1];

    const other = await queue(app.actors.deployer, service.name, 'staging');
    // Nobody but the requester or an admin takes it out.
    expect(
      await answerOf(
        await app.discord.command('cancel', app.actors.deployer, { options: { id: entryId } }),
      ),
    ).toBe('Only the requester or an admin for staging can take this request out of the queue.');
    expect(
      await answerOf(await app.discord.command('cancel', erin, { options: { id: entryId } })),
    ).toBe(
      `Request ${entryId} taken out of the queue of ${service.name} → staging; nothing was dispatched.`,
    );
    expect(
      await answerOf(await app.discord.command('cancel', erin, { options: { id: entryId } })),
    ).toMatch(/cannot be taken out of the queue: it is no longer waiting \(cancelled/);

    await finishRun(app, busy.id);
    const next = await deploymentOf(other.id);
    await waitForStatus(app, next._id as unknown as string, 'dispatched');
    expect(
      await appConnection(app.app)
        .collection('deployments')
        .countDocuments({ 'queued.entryId': entryId }),
    ).toBe(0);
  });

  it('checks the head again when it is admitted: a deleted ref fails it with a notice, and the next goes', async () => {
    const service = await newService(app);
    app.github.addCommit('acme', service.repo, 'release/9', 'release');
    const busy = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, busy.id, 'dispatched');
    const doomed = await queue(app.actors.deployer, service.name, 'staging', 'release/9');
    const fine = await queue(app.actors.deployer, service.name, 'staging');
    app.github.deleteBranch('acme', service.repo, 'release/9');
    await finishRun(app, busy.id);
    const notice = await waitFor('the notice of the failed entry', () =>
      app.discord
        .messagesIn(app.discord.defaultChannelId)
        .find((m) => m.content.includes(doomed.id) && m.content.includes('could not go')),
    );
    expect(notice.content).toContain(`<@${app.actors.deployer.user.id}>`);
    expect(notice.content).toContain('Nothing was dispatched.');
    const next = await deploymentOf(fine.id);
    await waitForStatus(app, next._id as unknown as string, 'dispatched');
  });

  it("refuses the request past the queue's length, and expires what waits too long", async () => {
    const small = await startAppWithFakes({
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '600000',
        QUEUE_MAX_PER_TARGET: '2',
        QUEUE_TTL_MS: '3600000',
      },
    });
    try {
      const service = await newService(small);
      await small.discord.command('lock', small.actors.admin, {
        options: { service: service.name, env: 'staging', reason: 'maintenance' },
      });
      const ask = (actor: Actor) =>
        small.discord.command('deploy', actor, {
          options: { service: service.name, env: 'staging', queue: true },
        });
      expect(await answerOf(await ask(small.actors.deployer))).toMatch(/^Queued as q-/);
      expect(await answerOf(await ask(small.actors.admin))).toMatch(/^Queued as q-/);
      expect(await answerOf(await ask(small.actors.deployer))).toBe(
        `The queue of ${service.name} → staging is full (2 requests wait, the most allowed). Try again once it moves: /queue shows it.`,
      );
      small.clock.advance(3_600_000 + 1_000);
      const notices = await waitFor('both expiry notices', () => {
        const found = small.discord
          .messagesIn(small.discord.defaultChannelId)
          .filter((m) => m.content.includes('expired before the target took it'));
        return found.length === 2 ? found : undefined;
      });
      expect(notices[0].content).toMatch(/^<@\d+> your queued request q-[0-9a-f]{6}/);
      await small.discord.command('unlock', small.actors.admin, {
        options: { service: service.name, env: 'staging' },
      });
      expect(small.github.dispatches.filter((d) => d.repo === service.repo)).toHaveLength(0);
    } finally {
      await small.closeAll();
    }
  });
});
