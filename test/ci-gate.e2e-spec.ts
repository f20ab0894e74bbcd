import {
  deploy,
  ephemeralAnswer,
  finishRun,
  metricsOf,
  newService,
  storedDeployment,
  waitForMessageText,
  waitForStatus,
} from './support/deploys';
import { appConnection } from './support/mongo';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The CI gate: nothing is dispatched on a commit CI has not passed, unless an admin says why. */
describe('the CI gate', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({
      env: {
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '200',
        APPROVALS_REQUIRED: '1',
        // No grace for CI to start: what is not reported is missing at once.
        CI_NO_CHECKS_GRACE_MS: '0',
      },
    });
  });
  afterAll(() => app?.closeAll());

  /** A fresh service whose staging is gated by `/service gate` (an admin's command). */
  async function gatedService(mode = 'all', checks?: string) {
    const service = await newService(app, { ci: false });
    const set = await app.discord.command('service', app.actors.admin, {
      subcommand: 'gate',
      options: { name: service.name, env: 'staging', mode, ...(checks ? { checks } : {}) },
    });
    await set.waitForReply();
    expect(set.replyText()).toContain(`CI gate of ${service.name} changed`);
    return service;
  }

  it('refuses a red commit with its failing checks, and an admin deploys anyway with a reason', async () => {
    const { github, discord, actors } = app;
    const service = await gatedService();
    const sha = service.headSha;
    github.addCheckRun('acme', service.repo, sha, 'build', 'completed', 'failure');
    github.addCheckRun('acme', service.repo, sha, 'lint', 'completed', 'success');
    github.addCheckRun('acme', service.repo, sha, 'docs', 'completed', 'skipped');
    github.setCommitStatus('acme', service.repo, sha, 'ci/e2e', 'error');
    const dispatchesBefore = github.dispatches.length;

    const { interaction, id, messageId } = await deploy(
      app,
      actors.deployer,
      service.name,
      'staging',
    );
    const refused = await waitForMessageText(app, interaction, 'Refused by the CI gate');
    expect(refused).toContain('CI has not passed on');
    expect(refused).toMatch(
      /❌ \[build\]\(https:\/\/github\.example\/acme\/[^)]+\/runs\/\d+\) \(failure\)/,
    );
    // A commit status's link is its poster's: off GitHub's host it is shown as text.
    expect(refused).toContain('❌ ci/e2e (error)');
    expect(refused).not.toContain('ci.example');
    expect(refused).not.toContain('lint');
    expect((await storedDeployment(app, id)).status).toBe('checks_failed');
    expect(github.dispatches.length).toBe(dispatchesBefore);

    // A deployer may not; the form is not even shown.
    const byDeployer = await discord.clickButton('Deploy anyway', actors.deployer, messageId);
    expect(await ephemeralAnswer(byDeployer)).toContain(
      'Only admins for staging can deploy past the CI gate.',
    );
    const opened = await discord.clickButton('Deploy anyway', actors.admin, messageId);
    await opened.firstCallback();
    expect(opened.callbacks[0].type).toBe(9);
    const submitted = await discord.submitModal(opened, actors.admin, {
      reason: 'build flake, fixed in the next commit',
    });
    expect(await ephemeralAnswer(submitted)).toContain(`${id} goes past the CI gate: dispatching`);

    await waitForStatus(app, id, 'dispatched');
    expect(github.dispatches.length).toBe(dispatchesBefore + 1);
    const text = await waitForMessageText(app, interaction, 'CI overridden');
    expect(text).toContain(
      '⚠️ by alice-admin: “build flake, fixed in the next commit” (not passing: build, ci/e2e)',
    );
    const stored = await storedDeployment(app, id);
    expect(stored.gate).toMatchObject({
      verdict: 'failed',
      override: {
        by: { name: 'alice-admin' },
        reason: 'build flake, fixed in the next commit',
        checks: [{ name: 'build' }, { name: 'ci/e2e' }],
      },
    });
    const audit = await waitFor('the audited override', () =>
      appConnection(app.app)
        .collection('audit')
        .findOne({ command: 'modal ci-gate/reason', 'actor.id': actors.admin.user.id }),
    );
    expect(audit).toMatchObject({
      outcome: 'ok',
      options: { reason: 'build flake, fixed in the next commit' },
    });
    expect(await metricsOf(app)).toMatch(
      /chatops_ci_gate_total\{environment="staging",outcome="overridden"\} [1-9]/,
    );
    await finishRun(app, id);
    const history = await app.discord.command('history', actors.viewer, {
      options: { service: service.name, env: 'staging' },
    });
    await history.waitForReply();
    expect(history.replyText()).toContain(
      `⚠️ CI overridden by alice-admin: “build flake, fixed in the next commit”`,
    );
  });

  it('holds a commit whose checks are running, and deploys it when CI passes', async () => {
    const { github, actors } = app;
    const service = await gatedService();
    const sha = service.headSha;
    const build = github.addCheckRun('acme', service.repo, sha, 'build', 'in_progress');
    github.addCheckRun('acme', service.repo, sha, 'lint', 'completed', 'success');
    github.setCommitStatus('acme', service.repo, sha, 'ci/e2e', 'pending');

    const { interaction, id } = await deploy(app, actors.deployer, service.name, 'staging');
    const waiting = await waitForMessageText(app, interaction, 'Waiting for CI');
    expect(waiting).toContain('2 of 3 checks pending');
    expect(waiting).toContain('⏳ [build]');

    github.updateCheckRun('acme', service.repo, build, 'completed', 'success');
    await waitForMessageText(app, interaction, '1 of 3 checks pending');
    github.setCommitStatus('acme', service.repo, sha, 'ci/e2e', 'success');
    await waitForStatus(app, id, 'dispatched');
    expect((await storedDeployment(app, id)).gate).toMatchObject({ verdict: 'passed' });
    await finishRun(app, id);
  });

  it('never sends a held commit over a newer one that went out while it waited', async () => {
    const { github, actors } = app;
    const service = await gatedService();
    const older = service.headSha;
    const build = github.addCheckRun('acme', service.repo, older, 'build', 'in_progress');
    const held = await deploy(app, actors.deployer, service.name, 'staging');
    await waitForMessageText(app, held.interaction, 'Waiting for CI');

    const newer = github.addCommit('acme', service.repo, 'main', 'the fix');
    github.addCheckRun('acme', service.repo, newer, 'build', 'completed', 'success');
    const next = await deploy(app, actors.deployer, service.name, 'staging');
    await waitForStatus(app, next.id, 'dispatched');
    await finishRun(app, next.id);

    const dispatches = github.dispatches.length;
    github.updateCheckRun('acme', service.repo, build, 'completed', 'success');
    await waitForStatus(app, held.id, 'expired');
    expect(await waitForMessageText(app, held.interaction, 'Expired at the CI gate')).toContain(
      `a newer deployment (${next.id}) went to staging while it waited`,
    );
    expect(github.dispatches.length).toBe(dispatches);
  });

  it('fails closed when the checks cannot be read', async () => {
    const service = await gatedService();
    app.github.failNext(/\/check-runs$/, 403, 'Resource not accessible by integration');
    const { interaction, id } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const text = await waitForMessageText(app, interaction, 'Refused by the CI gate');
    expect(text).toContain('it cannot tell whether CI passed: The bot token is not allowed');
    expect((await storedDeployment(app, id)).status).toBe('checks_failed');
  });

  it('with required checks, refuses one that was never reported', async () => {
    const service = await gatedService('required', 'build, security-scan');
    app.github.addCheckRun('acme', service.repo, service.headSha, 'build', 'completed', 'success');
    app.github.addCheckRun('acme', service.repo, service.headSha, 'flaky', 'completed', 'failure');
    const { interaction } = await deploy(app, app.actors.deployer, service.name, 'staging');
    const text = await waitForMessageText(app, interaction, 'Refused by the CI gate');
    expect(text).toContain('❔ security-scan (not reported on this commit)');
    expect(text).not.toContain('flaky');
  });

  it('gates a protected target by default, and an override still needs the approvals', async () => {
    const { github, discord, actors } = app;
    const service = await newService(app, { ci: false });
    github.addCheckRun('acme', service.repo, service.headSha, 'build', 'completed', 'failure');
    const { interaction, id, messageId } = await deploy(app, actors.deployer, service.name, 'prod');
    await waitForMessageText(app, interaction, 'Refused by the CI gate');

    const opened = await discord.clickButton('Deploy anyway', actors.admin, messageId);
    const submitted = await discord.submitModal(opened, actors.admin, {
      reason: 'hotfix: the failing test is the bug being fixed',
    });
    expect(await ephemeralAnswer(submitted)).toContain('it now needs its approvals');
    await waitForStatus(app, id, 'pending_approval');
    await waitForMessageText(app, interaction, 'Waiting for approval');

    const approved = await discord.clickButton('Approve', actors.secondAdmin, messageId);
    await approved.firstCallback();
    await waitForStatus(app, id, 'dispatched');
    await finishRun(app, id);
  });

  it('lets the requester cancel a held request, and ends one nobody overrides in time', async () => {
    const { github, discord, actors } = app;
    const service = await gatedService();
    github.addCheckRun('acme', service.repo, service.headSha, 'build', 'completed', 'failure');
    const first = await deploy(app, actors.deployer, service.name, 'staging');
    const cancel = await discord.clickButton('Cancel', actors.deployer, first.messageId);
    await cancel.firstCallback();
    await waitForStatus(app, first.id, 'rejected');
    await waitForMessageText(app, first.interaction, 'Cancelled by dana-deployer');

    const second = await deploy(app, actors.deployer, service.name, 'staging');
    await waitForStatus(app, second.id, 'checks_failed');
    app.clock.advance(31 * 60_000);
    await waitForStatus(app, second.id, 'expired');
    await waitForMessageText(app, second.interaction, 'Expired at the CI gate');
  });
});
