import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { AppProcess } from './support/app-process';
import { testDatabaseUri } from './support/database';
import {
  answerOf,
  deploy,
  deploymentIdOf,
  ephemeralAnswer,
  finishRun,
  metricsOf,
  newService,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { Actor, buttonsOf, FakeDiscord, messageText } from './support/fake-discord/fake-discord';
import { FakeGithub } from './support/fake-github';
import { appConnection } from './support/mongo';
import { snowflake } from './support/snowflake';
import {
  rolesOf,
  startFakeDiscord,
  TestApp,
  testEnvironment,
  startAppWithFakes,
} from './support/test-app';
import { waitFor } from './support/wait-for';

async function requestProd(app: TestApp, service: string, actor: Actor = app.actors.deployer) {
  return deploy(app, actor, service, 'prod');
}

/** Dispatch counts of one service's repository. */
const dispatchesTo = (app: TestApp, repo: string) =>
  app.github.dispatches.filter((dispatch) => dispatch.repo === repo);

describe('approvals for protected environments', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(() => app?.closeAll());

  it('dispatches nothing before approval, and refuses a deployer’s Approve', async () => {
    const service = await newService(app);
    const { interaction, id, messageId } = await requestProd(app, service.name);
    const text = messageText(interaction.reply()!);
    expect(text).toContain(`Deploy ${service.name} → prod: approval needed`);
    expect(text).toContain('Requested by: dana-deployer');
    expect(text).toContain('Changes: First deployment to prod.');
    expect(text).toMatch(/expires <t:\d+:R>/);
    expect(text).toContain('Approvals: 0 of 1');
    expect(buttonsOf(interaction.reply()!).map((b) => [b.label, b.custom_id])).toEqual([
      ['Approve', `approval/${id}/approve`],
      ['Cancel', `approval/${id}/cancel`],
    ]);

    for (const who of ['deployer', 'viewer'] as const) {
      const click = await app.discord.clickButton('Approve', app.actors[who], messageId);
      expect(await ephemeralAnswer(click)).toBe(
        'Only admins for prod can approve this deployment.',
      );
    }
    expect(dispatchesTo(app, service.repo)).toHaveLength(0);
    expect((await storedDeployment(app, id)).status).toBe('pending_approval');
    const audit = await waitFor('the audit entries', async () => {
      const entries = await appConnection(app.app)
        .collection('audit')
        .find({ command: 'button approval/approve', 'options.customId': `approval/${id}/approve` })
        .toArray();
      return entries.length === 2 ? entries : undefined;
    });
    expect(
      audit.every((entry) => entry.outcome === 'refused' && entry.code === 'ACCESS.DENIED'),
    ).toBe(true);
  });

  it('dispatches exactly once when two admins approve at the same moment', async () => {
    const service = await newService(app);
    const { id, messageId, interaction } = await requestProd(app, service.name);
    const clicks = await Promise.all([
      app.discord.clickButton('Approve', app.actors.admin, messageId),
      app.discord.clickButton('Approve', app.actors.secondAdmin, messageId),
    ]);
    await waitForStatus(app, id, 'dispatched');
    await Promise.all(clicks.map((click) => click.firstCallback()));
    const dispatches = dispatchesTo(app, service.repo);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0].inputs).toEqual({ environment: 'prod', sha: service.headSha });
    const answers = clicks.map((click) => click.callbacks[0].type);
    // One click won (its update was deferred); the other was told who approved first, privately.
    expect(answers.sort()).toEqual([4, 6]);
    const told = clicks.find((click) => click.callbacks[0].type === 4)!;
    expect(await ephemeralAnswer(told)).toMatch(
      /^Already approved by (alice|bob)-admin at <t:\d+:f>\.$/,
    );

    const text = await waitForMessageText(app, interaction, `#${dispatches[0].runId}`);
    expect(text).toMatch(/Approvals: 1 of 1: (alice|bob)-admin/);
    expect(buttonsOf(interaction.reply()!)).toEqual([]);
    await finishRun(app, id);

    const late = await app.discord
      .clickButton('Approve', app.actors.admin, messageId)
      .catch(() => undefined);
    expect(late).toBeUndefined(); // no buttons left to click
    const forged = await app.discord.clickCustomId(
      `approval/${id}/approve`,
      app.actors.admin,
      messageId,
    );
    expect(await ephemeralAnswer(forged)).toMatch(/^Already approved by/);
    expect(dispatchesTo(app, service.repo)).toHaveLength(1);
    const metrics = await metricsOf(app);
    expect(metrics).toMatch(
      /chatops_approvals_total\{environment="prod",outcome="approved"\} [1-9]/,
    );
    expect(metrics).toMatch(/chatops_approval_wait_seconds_count\{environment="prod"\} [1-9]/);
  });

  it('shows the commits since the last successful deployment', async () => {
    const service = await newService(app);
    const first = await requestProd(app, service.name);
    await app.discord.clickButton('Approve', app.actors.admin, first.messageId);
    await finishRun(app, first.id);
    const base = service.headSha;
    app.github.addCommit('acme', service.repo, 'main', 'Add rate limiting\n\nLonger body', 'ada');
    app.github.addCommit('acme', service.repo, 'main', 'Fix login redirect', 'grace');
    const head = app.github.addCommit('acme', service.repo, 'main', 'Bump version', 'linus');
    const { interaction } = await requestProd(app, service.name);
    const text = messageText(interaction.reply()!);
    expect(text).toContain(
      `3 commits since \`${base.slice(0, 7)}\`: [Full comparison](https://github.example/acme/${service.repo}/compare/${base}...${head})`,
    );
    expect(text).toContain('Add rate limiting (ada)');
    expect(text).toContain('Fix login redirect (grace)');
    expect(text).toContain(`\`${head.slice(0, 7)}\` Bump version (linus)`);
    expect(text).not.toContain('Longer body');
  });

  it('lets the requester or an admin cancel; Cancel dispatches nothing, and later clicks are told', async () => {
    const service = await newService(app);
    const { interaction, id, messageId } = await requestProd(app, service.name);
    const byOther = await app.discord.clickButton('Cancel', app.actors.viewer, messageId);
    expect(await ephemeralAnswer(byOther)).toBe(
      'Only the requester or an admin for prod can cancel this request.',
    );
    const cancel = await app.discord.clickButton('Cancel', app.actors.deployer, messageId);
    expect((await cancel.firstCallback()).type).toBe(7);
    const text = await waitForMessageText(app, interaction, 'Cancelled by dana-deployer');
    expect(text).toContain('nothing was dispatched');
    expect(buttonsOf(interaction.reply()!)).toEqual([]);
    const approve = await app.discord.clickCustomId(
      `approval/${id}/approve`,
      app.actors.admin,
      messageId,
    );
    expect(await ephemeralAnswer(approve)).toMatch(
      /^This request was cancelled by dana-deployer <t:\d+:f>\.$/,
    );
    expect(dispatchesTo(app, service.repo)).toHaveLength(0);
    expect(await metricsOf(app)).toMatch(
      /chatops_approvals_total\{environment="prod",outcome="cancelled"\} [1-9]/,
    );
  });

  it('answers forged, malformed and unknown button ids with "Unknown or expired request."', async () => {
    const service = await newService(app);
    const { messageId, id } = await requestProd(app, service.name);
    for (const customId of [
      'approval/d-abcdef/approve',
      'approval/zzz/approve',
      `approval/${id}/nuke`,
      'garbage',
      'approval/x',
    ]) {
      const click = await app.discord.clickCustomId(customId, app.actors.admin, messageId);
      expect({ customId, answer: await ephemeralAnswer(click) }).toEqual({
        customId,
        answer: 'Unknown or expired request.',
      });
    }
    expect((await storedDeployment(app, id)).status).toBe('pending_approval');
  });

  it('checks the busy target again at the last approval; the request stays pending', async () => {
    const service = await newService(app);
    const first = await requestProd(app, service.name);
    const second = await requestProd(app, service.name, app.actors.admin);
    await app.discord.clickButton('Approve', app.actors.secondAdmin, first.messageId);
    await waitForStatus(app, first.id, 'dispatched');
    const blocked = await app.discord.clickButton(
      'Approve',
      app.actors.secondAdmin,
      second.messageId,
    );
    expect(await ephemeralAnswer(blocked)).toBe(
      `${service.name} → prod already has deployment ${first.id} dispatched, requested by dana-deployer. The request stays pending until it expires; approve again once it is free.`,
    );
    expect((await storedDeployment(app, second.id)).status).toBe('pending_approval');
    await finishRun(app, first.id);
    const retry = await app.discord.clickButton(
      'Approve',
      app.actors.secondAdmin,
      second.messageId,
    );
    expect((await retry.firstCallback()).type).toBe(6);
    await waitForStatus(app, second.id, 'dispatched');
    await finishRun(app, second.id);
  });

  it('checks an admin lock at the last approval; the request stays pending', async () => {
    const service = await newService(app);
    const request = await requestProd(app, service.name);
    const lock = await app.discord.command('lock', app.actors.admin, {
      options: { service: service.name, env: 'prod', reason: 'freeze' },
    });
    expect(await answerOf(lock)).toContain('is locked by alice-admin: freeze');
    const blocked = await app.discord.clickButton(
      'Approve',
      app.actors.secondAdmin,
      request.messageId,
    );
    expect(await ephemeralAnswer(blocked)).toMatch(
      /is locked by alice-admin since .*: freeze The request stays pending until it expires\.$/,
    );
    expect((await storedDeployment(app, request.id)).status).toBe('pending_approval');
    expect(dispatchesTo(app, service.repo)).toHaveLength(0);
  });
});

describe('approval rules from the environment', () => {
  it('REQUIRE_SECOND_APPROVER and APPROVALS_REQUIRED=2: two admins other than the requester', async () => {
    const app = await startAppWithFakes({
      env: {
        REQUIRE_SECOND_APPROVER: 'true',
        APPROVALS_REQUIRED: '2',
        POLL_INTERVAL_MS: '600000',
      },
    });
    const { discord, github } = app;
    try {
      const service = await newService(app);
      const third: Actor = {
        user: { id: snowflake(), username: 'carol-admin' },
        roles: [rolesOf(discord).admin],
      };
      const { interaction, id, messageId } = await requestProd(app, service.name, app.actors.admin);
      expect(messageText(interaction.reply()!)).toContain('Approvals: 0 of 2');

      const own = await discord.clickButton('Approve', app.actors.admin, messageId);
      expect(await ephemeralAnswer(own)).toBe(
        'You asked for this deployment: another admin has to approve it.',
      );

      const firstApproval = await discord.clickButton('Approve', app.actors.secondAdmin, messageId);
      expect((await firstApproval.firstCallback()).type).toBe(7);
      await waitForMessageText(app, interaction, 'Approvals: 1 of 2: bob-admin');
      const again = await discord.clickButton('Approve', app.actors.secondAdmin, messageId);
      expect(await ephemeralAnswer(again)).toBe('You have approved this request already.');
      expect(github.dispatches).toHaveLength(0);
      expect((await storedDeployment(app, id)).status).toBe('pending_approval');

      await discord.clickButton('Approve', third, messageId);
      await waitForStatus(app, id, 'dispatched');
      expect(github.dispatches).toHaveLength(1);
      await waitForMessageText(
        app,
        interaction,
        /Dispatched[\s\S]*Approvals: 2 of 2: bob-admin, carol-admin/,
      );
    } finally {
      await app.closeAll();
    }
  });

  it('expires a request: the message says so, the buttons go, and a later Approve dispatches nothing', async () => {
    const app = await startAppWithFakes({
      env: { APPROVAL_TIMEOUT_MS: '1000', POLL_INTERVAL_MS: '600000' },
    });
    const { discord, github } = app;
    try {
      const service = await newService(app);
      const { interaction, id, messageId } = await requestProd(app, service.name);
      await waitForStatus(app, id, 'expired');
      const text = await waitForMessageText(app, interaction, 'Approval expired');
      expect(text).toContain('nothing was dispatched');
      expect(buttonsOf(interaction.reply()!)).toEqual([]);
      const late = await discord.clickCustomId(
        `approval/${id}/approve`,
        app.actors.admin,
        messageId,
      );
      expect(await ephemeralAnswer(late)).toMatch(
        /^This request expired at <t:\d+:f>; nothing was dispatched\.$/,
      );
      expect(github.dispatches).toHaveLength(0);
      expect(await metricsOf(app)).toMatch(
        /chatops_approvals_total\{environment="prod",outcome="expired"\} 1/,
      );
      expect(
        await appConnection(app.app)
          .collection('deployments')
          .countDocuments({ _id: id as never }),
      ).toBe(1);
    } finally {
      await app.closeAll();
    }
  });
});

describe('expiry inside the decision', () => {
  it('refuses Approve and Cancel once expiresAt has passed, before any sweep, and expires it then', async () => {
    const app = await startAppWithFakes({
      // The sweeper would not get to it for an hour: the decision itself has to know.
      env: { APPROVAL_TIMEOUT_MS: '3600000', POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0' },
    });
    try {
      const service = await newService(app);
      const requests = [await requestProd(app, service.name), await requestProd(app, service.name)];
      app.clock.advance(3_600_000);
      for (const [button, { id, messageId }] of [
        ['Approve', requests[0]],
        ['Cancel', requests[1]],
      ] as const) {
        const click = await app.discord.clickButton(button, app.actors.admin, messageId);
        expect(await ephemeralAnswer(click)).toMatch(
          /^This request expired at <t:\d+:f>; nothing was dispatched\.$/,
        );
        expect((await storedDeployment(app, id)).status).toBe('expired');
      }
      expect(app.github.dispatches).toHaveLength(0);
    } finally {
      await app.closeAll();
    }
  });
});

describe('a pending request across a crash', () => {
  it('survives kill -9 of the app and is approved exactly once afterwards', async () => {
    const discord = await startFakeDiscord();
    const github = await FakeGithub.start();
    github.addRepo('acme', 'api');
    const workDir = mkdtempSync(join(tmpdir(), 'chatops-crash-'));
    const env = testEnvironment(discord, github, {
      MONGODB_URI: testDatabaseUri('crash'),
      POLL_INTERVAL_MS: '600000',
    });
    const db = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      await db.collection('services').insertOne({
        name: 'api',
        owner: 'acme',
        repo: 'api',
        workflow: 'deploy.yml',
        environments: ['staging', 'prod'],
        protectedEnvironments: ['prod'],
        defaultRef: 'main',
        environmentInput: 'environment',
        shaInput: 'sha',
        addedBy: { id: 'seed', name: 'seed' },
        addedAt: new Date(),
      });
      const first = AppProcess.spawn(env, workDir);
      await waitFor('the first app to be ready', () => discord.registeredCommands().length > 0, {
        timeoutMs: 30_000,
      });
      const request = await discord.command(
        'deploy',
        { ...rolesActor(discord, 'deployers') },
        { options: { service: 'api', env: 'prod' } },
      );
      const id = await deploymentIdOf(request);
      const messageId = request.reply()!.id;
      first.child.kill('SIGKILL');
      await first.exited();

      const registrations = discord.callsTo('PUT', /commands$/).length;
      const second = AppProcess.spawn(env, workDir);
      // Commands are registered once the client is ready: from then on it handles clicks.
      await waitFor(
        'the restarted app to be ready',
        () => discord.callsTo('PUT', /commands$/).length > registrations,
        {
          timeoutMs: 30_000,
        },
      );
      const admin = rolesActor(discord, 'admins');
      const clicks = await Promise.all([
        discord.clickButton('Approve', admin, messageId),
        discord.clickButton('Approve', admin, messageId),
      ]);
      await Promise.all(clicks.map((click) => click.firstCallback()));
      await waitFor('the dispatch', () => github.dispatches.length === 1);
      await waitFor(
        'dispatched',
        async () =>
          (await db.collection('deployments').findOne({ _id: id as never }))?.status ===
          'dispatched',
      );
      expect(github.dispatches).toHaveLength(1);
      second.child.kill('SIGTERM');
      await second.exited();
    } finally {
      await AppProcess.killAll();
      await db.close();
      await discord.close();
      await github.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

function rolesActor(discord: FakeDiscord, roleName: string): Actor {
  const role = discord.guild.roles.find((r) => r.name === roleName)!;
  return {
    user: {
      id: `${roleName.length}00000000000000042`.slice(0, 18),
      username: `${roleName}-member`,
    },
    roles: [role.id],
  };
}
