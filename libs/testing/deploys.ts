import { Actor, InteractionHandle, messageText } from './fake-discord/fake-discord';
import { TestApp } from './test-app';
import { WaitAbort, waitFor } from './wait-for';
import { appConnection } from './mongo';

/** Registers a service directly (the /service flow has its own tests). */
export async function seedService(
  app: TestApp,
  service: {
    name: string;
    owner?: string;
    repo?: string;
    environments?: string[];
    protectedEnvironments?: string[];
    defaultRef?: string;
    workflow?: string;
  },
): Promise<void> {
  await appConnection(app.app)
    .collection('services')
    .insertOne({
      name: service.name,
      owner: service.owner ?? 'acme',
      repo: service.repo ?? service.name,
      workflow: service.workflow ?? 'deploy.yml',
      environments: service.environments ?? ['staging', 'prod'],
      protectedEnvironments: service.protectedEnvironments ?? ['prod'],
      defaultRef: service.defaultRef ?? 'main',
      environmentInput: 'environment',
      shaInput: 'sha',
      addedBy: { id: 'seed', name: 'seed' },
      addedAt: new Date(),
    });
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
export async function deploymentIdOf(handle: InteractionHandle): Promise<string> {
  const text = await waitFor(`a deployment on the reply to ${handle.id}`, () => {
    const refusal = handle.followUps()[0];
    if (refusal) throw new WaitAbort(`the command was refused: ${refusal.content}`);
    const reply = handle.reply();
    return reply && /Deployment: d-[0-9a-f]{6}/.test(messageText(reply))
      ? messageText(reply)
      : undefined;
  });
  return /Deployment: (d-[0-9a-f]{6})/.exec(text)![1];
}

export async function storedDeployment(
  app: TestApp,
  id: string,
): Promise<Record<string, unknown> & { status: string }> {
  const doc = await appConnection(app.app)
    .collection('deployments')
    .findOne({ _id: id as never });
  if (!doc) throw new Error(`no deployment ${id}`);
  return doc as unknown as Record<string, unknown> & { status: string };
}

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
