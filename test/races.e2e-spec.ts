import {
  answerOf,
  deploymentIdOf,
  finishRun,
  runDeploy,
  seedService as seed,
  storedDeployment,
  waitForStatus,
} from './support/deploys';
import { messageText } from './support/fake-discord/fake-discord';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 20);
const GENERIC = /Something went wrong/;
/**
 * These races are about commands: the services here are not recorded on GitHub's Deployments
 * API, whose statuses would add a write (GitHub: one a second) to every step of every round.
 */
const seedService = (app: TestApp, service: Parameters<typeof seed>[1]) =>
  seed(app, { githubDeployments: 'off', ...service });

/** Races driven 20 times each: every answer says what happened, and the records agree. */
describe('racing commands', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { POLL_INTERVAL_MS: '600000', DEPLOY_COOLDOWN_MS: '0', MAX_CONCURRENT_DEPLOYS: '50' },
      arrange: ({ github }) => void github.addRepo('acme', 'api'),
    });
  });
  afterAll(() => app?.closeAll());
  const db = () => appConnection(app.app);

  it('/lock and /unlock at the same moment', async () => {
    await seedService(app, { name: 'locks', repo: 'api', environments: ['prod'] });
    for (let round = 0; round < ROUNDS; round++) {
      const [lock, unlock] = await Promise.all([
        app.discord.command('lock', app.actors.admin, {
          options: { service: 'locks', env: 'prod', reason: `round ${round}` },
        }),
        app.discord.command('unlock', app.actors.secondAdmin, {
          options: { service: 'locks', env: 'prod' },
        }),
      ]);
      const [locked, unlocked] = await Promise.all([answerOf(lock), answerOf(unlock)]);
      expect(locked).toBe(`🔒 locks → prod is locked by alice-admin: round ${round}`);
      expect(unlocked).not.toMatch(GENERIC);
      const stillLocked = await db().collection('target_locks').countDocuments();
      // Unlock came first ("not locked") and the lock stays, or it removed this very lock.
      if (unlocked === 'locks → prod is not locked.') expect(stillLocked).toBe(1);
      else {
        expect(unlocked).toBe(
          `🔓 locks → prod is unlocked (it was locked by alice-admin: round ${round}).`,
        );
        expect(stillLocked).toBe(0);
      }
      await db().collection('target_locks').deleteMany({});
    }
  });

  it('/service add of one name twice at the same moment', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `twin-${round}`;
      const add = (actor: typeof app.actors.admin) =>
        app.discord.command('service', actor, {
          subcommand: 'add',
          options: { name, owner: 'acme', repo: 'api' },
        });
      const handles = await Promise.all([add(app.actors.admin), add(app.actors.secondAdmin)]);
      const answers = await Promise.all(handles.map(answerOf));
      expect(answers.filter((a) => a.includes(`Service ${name} added`))).toHaveLength(1);
      expect(
        answers.filter((a) => a.includes(`A service named "${name}" already exists`)),
      ).toHaveLength(1);
      const stored = await db().collection('services').find({ name }).toArray();
      expect(stored).toHaveLength(1);
      const winner = answers.findIndex((a) => a.includes('added'));
      expect(stored[0].addedBy.name).toBe(winner === 0 ? 'alice-admin' : 'bob-admin');
    }
  });

  it('/service remove while a deploy of that service starts', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `gone-${round}`;
      await seedService(app, { name, repo: 'api', environments: ['staging'] });
      const [deploy, remove] = await Promise.all([
        runDeploy(app, app.actors.deployer, name, 'staging'),
        app.discord.command('service', app.actors.admin, {
          subcommand: 'remove',
          options: { name },
        }),
      ]);
      const [deployed, removed] = await Promise.all([answerOf(deploy), answerOf(remove)]);
      expect(deployed).not.toMatch(GENERIC);
      expect(removed).not.toMatch(GENERIC);
      const deployment = await db().collection('deployments').findOne({ service: name });
      if (deployment) {
        // Either the removal saw it and was refused, or the deploy got in just before the removal.
        expect(deployed).toContain(`Deployment: ${deployment._id}`);
        expect(
          removed === `Service **${name}** removed. Its deployment history is kept.` ||
            removed.startsWith(`${name} cannot be removed: deployment ${deployment._id}`),
        ).toBe(true);
        await finishRun(app, deployment._id as unknown as string, 'success', { settle: false });
        await waitForStatus(app, deployment._id as unknown as string, 'success');
      } else {
        expect(deployed).toBe(
          `Unknown service "${name}". \`/service list\` shows the registered ones.`,
        );
        expect(removed).toBe(`Service **${name}** removed. Its deployment history is kept.`);
      }
    }
  });

  it('/cancel while the run completes', async () => {
    await seedService(app, { name: 'cancels', repo: 'api', environments: ['staging'] });
    for (let round = 0; round < ROUNDS; round++) {
      const deploy = await runDeploy(app, app.actors.deployer, 'cancels', 'staging');
      const id = await deploymentIdOf(deploy);
      await waitForStatus(app, id, 'dispatched');
      const [cancel] = await Promise.all([
        app.discord.command('cancel', app.actors.deployer, { options: { id } }),
        finishRun(app, id, 'success', { settle: false }),
      ]);
      const answer = await answerOf(cancel);
      const runId = (await storedDeployment(app, id)).runId as number;
      expect([
        `Cancellation requested: GitHub is stopping run #${runId}. The deployment's message follows the run to its final status.`,
        `Deployment ${id} has already ended (success).`,
        `Run #${runId} had already finished on GitHub; deployment ${id} shows how it ended in a moment.`,
      ]).toContain(answer);
      // The record follows GitHub's own conclusion, whichever won.
      const conclusion = app.github.runs.get(runId)!.conclusion;
      await finishRun(app, id, 'success', { settle: false });
      const final = await waitFor('the final status', async () => {
        const status = (await storedDeployment(app, id)).status;
        return ['success', 'cancelled'].includes(status) ? status : undefined;
      });
      expect(final).toBe(conclusion === 'cancelled' ? 'cancelled' : 'success');
    }
  });

  it('two admins approving at the same moment', async () => {
    await seedService(app, { name: 'approvals', repo: 'api', environments: ['prod'] });
    for (let round = 0; round < ROUNDS; round++) {
      const request = await runDeploy(app, app.actors.deployer, 'approvals', 'prod');
      const id = await deploymentIdOf(request);
      const messageId = request.reply()!.id;
      const dispatches = app.github.dispatches.length;
      const clicks = await Promise.all([
        app.discord.clickButton('Approve', app.actors.admin, messageId),
        app.discord.clickButton('Approve', app.actors.secondAdmin, messageId),
      ]);
      await waitForStatus(app, id, 'dispatched');
      await Promise.all(clicks.map((click) => click.firstCallback()));
      const stored = await storedDeployment(app, id);
      const approval = stored.approval as {
        approvals: Array<{ name: string }>;
        decidedBy: { name: string };
      };
      expect(approval.approvals.map((a) => a.name)).toEqual([approval.decidedBy.name]);
      const loser = clicks.find((click) => click.callbacks[0].type === 4)!;
      const told = await loser.waitForReply((m) => (m.flags & 64) === 64);
      expect(told.content).toMatch(
        new RegExp(`^Already approved by ${approval.decidedBy.name} at <t:\\d+:f>\\.$`),
      );
      await waitFor('the message to credit the decider', () =>
        messageText(request.reply()!).includes(`Approvals: 1 of 1: ${approval.decidedBy.name}`),
      );
      expect(app.github.dispatches.length).toBe(dispatches + 1);
      await finishRun(app, id, 'success', { settle: false });
      await waitForStatus(app, id, 'success');
    }
  });
});
