import {
  answerOf,
  deploy,
  ephemeralAnswer,
  finishRun,
  newService,
  refusalOf,
  runDeploy,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { GithubBudget } from '../src/github/github-budget';
import { newDeployer, startAppWithFakes, TestApp } from './support/test-app';
import { appConnection } from './support/mongo';
import { waitFor } from './support/wait-for';

const GRACE_MS = 60_000;
const POLL_MS = 300;

/**
 * The CI gate fails closed: no checks is not green (until CI had time to start), a status
 * flipped to success by someone else is not green, a pinned check counts only from its App, and
 * CI is judged again at the decisive approval. Held requests are bounded and cheap.
 */
describe('the CI gate, closed by default', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: String(POLL_MS),
        CI_NO_CHECKS_GRACE_MS: String(GRACE_MS),
        CI_HELD_PER_MEMBER: '3',
        APPROVALS_REQUIRED: '1',
      },
    });
  });
  afterAll(() => app?.closeAll());

  /** A fresh service whose staging is gated (`all`, or `required` with these names). */
  async function gated(required?: string) {
    return newService(app, {
      ci: false,
      targets: {
        staging: required
          ? { ciGate: 'required', requiredChecks: required.split(',') }
          : { ciGate: 'all' },
      },
    });
  }

  it('holds a commit no check reported on as waiting for CI to start; a late check lets it through', async () => {
    const service = await gated();
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'awaiting_checks');
    const waiting = await waitForMessageText(app, interaction, 'no check has reported on');
    expect(waiting).toContain('if none starts');
    app.github.addCheckRun('acme', service.repo, service.headSha, 'build', 'completed', 'success');
    await waitForStatus(app, id, 'dispatched');
    expect((await storedDeployment(app, id)).gate).toMatchObject({ verdict: 'passed', total: 1 });
    await finishRun(app, id);
  });

  it('refuses a commit no CI reported on once the grace is over', async () => {
    const service = await gated();
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'awaiting_checks');
    app.clock.advance(GRACE_MS + 1_000);
    await waitForStatus(app, id, 'checks_failed');
    const text = await waitForMessageText(app, interaction, 'no CI reported for');
    expect(text).toContain('an admin sets its gate `off`');
    expect(text).toContain('an admin may deploy anyway, with a reason');
    expect((await storedDeployment(app, id)).gate).toMatchObject({ noCi: true });
  });

  it('refuses a commit whose failing status a stranger set to success, naming both', async () => {
    const service = await gated();
    const sha = service.headSha;
    app.github.setCommitStatus('acme', service.repo, sha, 'ci/e2e', 'failure', {
      creator: 'ci-bot',
    });
    app.github.setCommitStatus('acme', service.repo, sha, 'ci/e2e', 'success', {
      creator: 'mallory',
      targetUrl: 'https://evil.example/looks-green',
    });
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'checks_failed');
    const text = await waitForMessageText(app, interaction, 'Refused by the CI gate');
    expect(text).toContain('❌ ci/e2e (success by mallory over failure by ci-bot)');
    // A status's link off GitHub is shown as text, never as a link.
    expect(text).not.toContain('evil.example');
  });

  it('counts a pinned required check only from the App it names', async () => {
    const service = await newService(app, { ci: false });
    const set = await app.discord.command('service', app.actors.admin, {
      subcommand: 'gate',
      options: {
        name: service.name,
        env: 'staging',
        mode: 'required',
        checks: 'build@github-actions',
      },
    });
    await set.waitForReply();
    const show = await app.discord.command('service', app.actors.viewer, {
      subcommand: 'show',
      options: { name: service.name },
    });
    expect(await answerOf(show)).toContain(
      'staging: required: `build` (only from `github-actions`)',
    );
    const sha = service.headSha;
    app.github.addCheckRun('acme', service.repo, sha, 'build', 'completed', 'success', 'copycat');
    app.github.setCommitStatus('acme', service.repo, sha, 'build', 'success', {
      creator: 'mallory',
    });
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    await waitForStatus(app, id, 'awaiting_checks');
    app.clock.advance(GRACE_MS + 1_000);
    await waitForStatus(app, id, 'checks_failed');
    expect(await waitForMessageText(app, interaction, 'Refused by the CI gate')).toContain(
      '❔ build@github-actions (not reported by github-actions)',
    );
    // The App's own run passes it.
    const next = await deploy(app, app.actors.deployer, service.name, 'staging');
    app.github.addCheckRun('acme', service.repo, sha, 'build', 'completed', 'success');
    await waitForStatus(app, next.id, 'dispatched');
    await finishRun(app, next.id);
  });

  it('replaces an older request for the same target, and holds at most CI_HELD_PER_MEMBER per member', async () => {
    // A member of its own: the places at the gate are counted per member.
    const member = newDeployer(app.discord, 'held-member');
    const service = await gated();
    const first = await deploy(app, member, service.name, 'staging');
    await waitForStatus(app, first.id, 'awaiting_checks');
    const second = await deploy(app, member, service.name, 'staging');
    await waitForStatus(app, second.id, 'awaiting_checks');
    const replaced = await waitForStatus(app, first.id, 'superseded');
    expect(replaced).not.toHaveProperty('heldTarget');
    expect(
      await waitForMessageText(app, first.interaction, 'Replaced by a newer request'),
    ).toContain(`replaced by ${second.id}`);

    const others = [await gated(), await gated()];
    for (const other of others) {
      const held = await deploy(app, member, other.name, 'staging');
      await waitForStatus(app, held.id, 'awaiting_checks');
    }
    const fourth = await gated();
    const refused = await runDeploy(app, member, fourth.name, 'staging');
    expect(await refusalOf(refused)).toMatch(
      /^You have 3 requests waiting at the CI gate already: d-[0-9a-f]{6} \(/,
    );
    // Cancelling one frees a place.
    await app.discord.clickButton('Cancel', member, second.messageId);
    await waitForStatus(app, second.id, 'rejected');
    const now = await deploy(app, member, fourth.name, 'staging');
    await waitForStatus(app, now.id, 'awaiting_checks');
  });

  it("replaces nobody's request for a member who has no place left at the gate", async () => {
    const full = newDeployer(app.discord, 'full-member');
    for (let i = 0; i < 3; i++) {
      const held = await deploy(app, full, (await gated()).name, 'staging');
      await waitForStatus(app, held.id, 'awaiting_checks');
    }
    const other = newDeployer(app.discord, 'other-member');
    const service = await gated();
    const theirs = await deploy(app, other, service.name, 'staging');
    await waitForStatus(app, theirs.id, 'awaiting_checks');
    const refused = await runDeploy(app, full, service.name, 'staging');
    expect(await refusalOf(refused)).toMatch(/^You have 3 requests waiting at the CI gate already/);
    expect((await storedDeployment(app, theirs.id)).status).toBe('awaiting_checks');
    const requests = appConnection(app.app).collection('deployments');
    expect(await requests.countDocuments({ service: service.name })).toBe(1);
  });

  it('judges CI again at the decisive approval: a commit that turned red is stopped at the gate', async () => {
    const service = await newService(app, { ci: false });
    const build = app.github.addCheckRun(
      'acme',
      service.repo,
      service.headSha,
      'build',
      'completed',
      'success',
    );
    const request = await deploy(app, app.actors.deployer, service.name, 'prod');
    const asked = await waitForMessageText(app, request.interaction, 'approval needed');
    expect(asked).toContain('CI: ✅ passed with 1 check');
    // A re-run of the check fails meanwhile.
    app.github.updateCheckRun('acme', service.repo, build, 'completed', 'failure');
    app.clock.advance(10_000);
    const click = await app.discord.clickButton('Approve', app.actors.admin, request.messageId);
    await click.firstCallback();
    const stopped = await waitForStatus(app, request.id, 'checks_failed');
    expect(stopped.transitions.at(-1)).toMatchObject({ note: 'CI no longer passes' });
    await waitForMessageText(app, request.interaction, 'Refused by the CI gate');
    expect(app.github.dispatches.filter((d) => d.repo === service.repo)).toHaveLength(0);
  });

  it('lets no admin who deployed anyway be the only approval', async () => {
    const service = await newService(app, { ci: false });
    app.github.addCheckRun('acme', service.repo, service.headSha, 'build', 'completed', 'failure');
    const member = newDeployer(app.discord, 'hotfix-author');
    const { id, messageId, interaction } = await deploy(app, member, service.name, 'prod');
    await waitForStatus(app, id, 'checks_failed');
    const opened = await app.discord.clickButton('Deploy anyway', app.actors.admin, messageId);
    await app.discord.submitModal(opened, app.actors.admin, { reason: 'hotfix for the outage' });
    await waitForMessageText(app, interaction, 'Waiting for approval');
    const own = await app.discord.clickButton('Approve', app.actors.admin, messageId);
    expect(await ephemeralAnswer(own)).toBe(
      'You deployed this past the CI gate: another admin has to approve it.',
    );
    const other = await app.discord.clickButton('Approve', app.actors.secondAdmin, messageId);
    await other.firstCallback();
    await waitForStatus(app, id, 'dispatched');
    await finishRun(app, id);
  });
});

describe('held requests cost one read of their commit per interval', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: { DEPLOY_COOLDOWN_MS: '0', POLL_INTERVAL_MS: String(POLL_MS), CI_HELD_PER_MEMBER: '10' },
    });
  });
  afterAll(() => app?.closeAll());

  it('reads one commit once an interval for ten requests held on it', async () => {
    const { github } = app;
    const repo = 'shared-ci';
    github.addRepo('acme', repo, { ci: false });
    const sha = github.branchHead('acme', repo, 'main');
    github.addCheckRun('acme', repo, sha, 'build', 'in_progress');
    const services = await Promise.all(
      Array.from({ length: 10 }, () =>
        newService(app, { repo, targets: { staging: { ciGate: 'all' } } }),
      ),
    );
    const held: string[] = [];
    for (const service of services) {
      const { id } = await deploy(app, app.actors.deployer, service.name, 'staging');
      await waitForStatus(app, id, 'awaiting_checks');
      held.push(id);
    }
    const reads = () =>
      github.calls.filter((call) => call.path === `/repos/acme/${repo}/commits/${sha}/check-runs`);
    const before = reads().length;
    // The reads are the bot's own work: charged to its background budget, never to a member.
    const budget = app.app.get(GithubBudget);
    const charged = {
      command: jest.spyOn(budget, 'spendForCommand'),
      background: jest.spyOn(budget, 'spendForBackground'),
    };
    const from = Date.now();
    // Every request is read again at least three times over.
    const since = app.clock.now().getTime();
    await waitFor(
      'three more rounds of every held request',
      async () => {
        const checked = await Promise.all(held.map((id) => storedDeployment(app, id)));
        return checked.every(
          (d) => (d.gate as { checkedAt: Date }).checkedAt.getTime() > since + 3 * POLL_MS,
        );
      },
      { timeoutMs: 20_000 },
    );
    const elapsed = Date.now() - from;
    const made = reads().length - before;
    // One read an interval, whatever the number of requests (before: one per request).
    expect(made).toBeLessThanOrEqual(Math.ceil(elapsed / POLL_MS) + 1);
    expect(made).toBeLessThan(held.length * 3);
    expect(charged.background.mock.calls.length).toBeGreaterThanOrEqual(made);
    expect(charged.command).not.toHaveBeenCalled();
    charged.command.mockRestore();
    charged.background.mockRestore();
    // Conditional: a commit nothing changed on costs 304s.
    expect(
      reads()
        .slice(before)
        .filter((call) => call.status === 304).length,
    ).toBeGreaterThan(0);
  });
});
