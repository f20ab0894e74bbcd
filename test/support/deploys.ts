import { randomBytes } from 'node:crypto';
import { admittedRequest } from '../../src/admission/admitted-request';
import { DeploymentTransitions } from '../../src/deployments/deployment-transitions.service';
import type { Service } from '../../src/service-registry/service';
import { ServiceRepository } from '../../src/service-registry/service.repository';
import { Actor, InteractionHandle, messageText } from './fake-discord/fake-discord';
import { aService } from './factories';
import { sendWebhook } from './fake-github';
import { appConnection } from './mongo';
import { TestApp, WEBHOOK_SECRET } from './test-app';
import { WaitAbort, waitFor } from './wait-for';

export interface SeedOptions {
  name: string;
  owner?: string;
  repo?: string;
  environments?: string[];
  protectedEnvironments?: string[];
  defaultRef?: string;
  workflow?: string;
  idInput?: string;
  githubDeployments?: 'bot' | 'off';
  targets?: Service['targets'];
}

/** Registers a service through the app's own repository (the /service flow has its own tests). */
export async function seedService(app: TestApp, service: SeedOptions): Promise<void> {
  await app.app.get(ServiceRepository, { strict: false }).insert(
    aService({
      ...service,
      owner: service.owner ?? 'acme',
      repo: service.repo ?? service.name,
      addedBy: { id: 'seed', name: 'seed' },
    }),
  );
}

/**
 * A service no other test uses: a repository of its own on the fake GitHub (one commit on
 * main, deploy.yml) and its registration. What a test deploys to, so it runs alone or in any
 * order.
 */
export async function newService(
  app: TestApp,
  {
    ci,
    ...options
  }: Omit<SeedOptions, 'name'> & {
    prefix?: string;
    /** The repository's CI passes every commit (default); false: only the test's own checks. */
    ci?: boolean;
  } = {},
): Promise<{ name: string; repo: string; headSha: string }> {
  const name = `${options.prefix ?? 'svc'}-${randomBytes(3).toString('hex')}`;
  const repo = options.repo ?? name;
  if (!options.repo) app.github.addRepo(options.owner ?? 'acme', repo, { ci: ci ?? true });
  await seedService(app, { ...options, name, repo });
  return { name, repo, headSha: app.github.branchHead(options.owner ?? 'acme', repo, 'main') };
}

/**
 * A deployment recorded in flight (dispatching) through the kernel, without a dispatch: what a
 * process that died right after recording it leaves behind, or simply a busy target.
 */
export async function recordInFlight(
  app: TestApp,
  target: { service: string; repo?: string; environment: string; sha: string },
): Promise<string> {
  const { draft } = admittedRequest(
    aService({ name: target.service, repo: target.repo ?? target.service }),
    { ...target, ref: 'main', requester: { id: '1', name: 'crashy' } },
    async () => undefined,
  );
  // No lease: the process that would hold it is gone.
  const started = await app.app.get(DeploymentTransitions).startInFlight(draft, 100, 0);
  if (!('deployment' in started)) throw new Error(`not recorded: ${started.refused}`);
  return started.deployment.id;
}

export async function runDeploy(
  app: TestApp,
  actor: Actor,
  service: string,
  env: string,
  ref?: string,
): Promise<InteractionHandle> {
  return app.discord.command('deploy', actor, {
    options: { service, env, ...(ref ? { ref } : {}) },
  });
}

/** The deployment id shown on the reply, once the reply shows one; fails at once on a refusal. */
export async function deploymentIdOf(
  handle: InteractionHandle,
  { timeoutMs = 10_000 } = {},
): Promise<string> {
  const text = await waitFor(
    `a deployment on the reply to ${handle.id}`,
    () => {
      const refusal = handle.followUps()[0];
      if (refusal) throw new WaitAbort(`the command was refused: ${refusal.content}`);
      const reply = handle.reply();
      return reply && /Deployment: d-[0-9a-f]{6}/.test(messageText(reply))
        ? messageText(reply)
        : undefined;
    },
    { timeoutMs },
  );
  return /Deployment: (d-[0-9a-f]{6})/.exec(text)![1];
}

/** /deploy, and the id of the deployment it made. */
export async function deploy(
  app: TestApp,
  actor: Actor,
  service: string,
  env: string,
  ref?: string,
): Promise<{ interaction: InteractionHandle; id: string; messageId: string }> {
  const interaction = await runDeploy(app, actor, service, env, ref);
  const id = await deploymentIdOf(interaction);
  return { interaction, id, messageId: interaction.reply()!.id };
}

/** The private refusal a command got (it fails when the command succeeded instead). */
export async function refusalOf(handle: InteractionHandle): Promise<string> {
  const [refusal] = await waitFor(`the refusal of ${handle.id}`, () => {
    const reply = handle.reply();
    if (reply && /Deployment: d-[0-9a-f]{6}/.test(messageText(reply)))
      throw new WaitAbort(`the command was not refused: ${messageText(reply)}`);
    return handle.followUps().length ? handle.followUps() : undefined;
  });
  return messageText(refusal);
}

/** A command's answer as its reader sees it: its reply (public or private), or its private refusal. */
export async function answerOf(handle: InteractionHandle): Promise<string> {
  return waitFor(`an answer to ${handle.id}`, () => {
    const refusal = handle.followUps()[0];
    if (refusal) return messageText(refusal);
    const message = handle.reply();
    // 128: still "thinking" (a deferred reply with nothing in it yet).
    return message && !(message.flags & 128) ? messageText(message) : undefined;
  });
}

/** The private answer to a click, once there is one. */
export async function ephemeralAnswer(click: InteractionHandle): Promise<string> {
  const reply = await click.waitForReply((message) => (message.flags & 64) === 64);
  return reply.content;
}

/** The `workflow_run` webhook GitHub sends for the run as it is now. */
export function runWebhook(app: TestApp, runId: number, options: { deliveryId?: string } = {}) {
  const run = app.github.runs.get(runId)!;
  return sendWebhook(
    app.url,
    WEBHOOK_SECRET,
    'workflow_run',
    {
      action: run.status === 'completed' ? 'completed' : run.status,
      workflow_run: app.github.runPayload(run),
    },
    options,
  );
}

/** The run of a deployment, once it has one. */
export async function runOf(app: TestApp, id: string): Promise<number> {
  return (await waitFor(
    `${id}'s run`,
    async () => (await storedDeployment(app, id)).runId,
  )) as number;
}

/**
 * Ends the deployment's run on GitHub (unless it has ended already), tells the app by webhook,
 * and waits for the deployment to follow (`settle: false` leaves that to the caller, in a race).
 */
export async function finishRun(
  app: TestApp,
  id: string,
  conclusion: 'success' | 'failure' | 'cancelled' = 'success',
  { settle = true } = {},
): Promise<void> {
  const runId = await runOf(app, id);
  if (app.github.runs.get(runId)!.status !== 'completed')
    app.github.setRunStatus(runId, 'completed', conclusion);
  await runWebhook(app, runId);
  if (settle) await waitForStatus(app, id, conclusion);
}

/** The app's /metrics text. */
export async function metricsOf(app: TestApp): Promise<string> {
  return (await fetch(`${app.url}/metrics`)).text();
}

type StoredDeployment = Record<string, unknown> & {
  status: string;
  transitions: Array<{ status: string; note?: string }>;
};

export async function storedDeployment(app: TestApp, id: string): Promise<StoredDeployment> {
  const doc = await appConnection(app.app)
    .collection('deployments')
    .findOne({ _id: id as never });
  if (!doc) throw new Error(`no deployment ${id}`);
  return doc as unknown as StoredDeployment;
}

/** The statuses a deployment went through, in order. */
export const statusesOf = (deployment: StoredDeployment) =>
  deployment.transitions.map((transition) => transition.status);

export async function waitForStatus(app: TestApp, id: string, status: string, timeoutMs = 10_000) {
  return waitFor(
    `${id} to be ${status}`,
    async () => {
      const doc = await storedDeployment(app, id);
      return doc.status === status ? doc : undefined;
    },
    { timeoutMs },
  );
}

/** The text of the deployment's message once it contains `text`. */
export async function waitForMessageText(
  app: TestApp,
  handle: InteractionHandle,
  text: string | RegExp,
): Promise<string> {
  const matches = (value: string) =>
    typeof text === 'string' ? value.includes(text) : text.test(value);
  const message = await handle.waitForReply((m) => matches(messageText(m)));
  return messageText(message);
}
