import { generateKeyPairSync } from 'node:crypto';
import { messageText } from './fake-discord/fake-discord';
import type { StoredMessage } from './fake-discord/payloads';
import { newService } from './deploys';
import { startAppWithFakes, TestApp, WEBHOOK_SECRET } from './test-app';
import { waitFor } from './wait-for';

/** What the environment gate's tests share: the bot as a GitHub App, and its channel. */
export const APP_ID = 90210;
export const GATE_CHANNEL = '444444444444444444';
export const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The bot as a GitHub App, every deployment of its environments asking it first. */
export const gatedEnv = {
  GITHUB_TOKEN: '',
  GITHUB_APP_ID: String(APP_ID),
  GITHUB_APP_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  DEPLOY_COOLDOWN_MS: '0',
  POLL_INTERVAL_MS: '600000',
  APPROVALS_REQUIRED: '2',
  APPROVAL_TIMEOUT_MS: '600000',
  REQUIRE_SECOND_APPROVER: 'true',
  DEPLOY_CHANNEL_ID: GATE_CHANNEL,
};

export async function startGatedApp(): Promise<TestApp> {
  const app = await startAppWithFakes({
    env: gatedEnv,
    arrange: ({ discord, github }) => {
      discord.addChannel({ id: GATE_CHANNEL, name: 'deploys' });
      github.enableApp(APP_ID, publicKey, { acme: 501 });
    },
  });
  app.github.deliverWebhooksTo(app.url, WEBHOOK_SECRET);
  return app;
}

/** A service of its own whose prod environment has the bot's App as its protection rule. */
export async function gatedService(app: TestApp, extra: Parameters<typeof newService>[1] = {}) {
  const service = await newService(app, extra);
  app.github.addEnvironment('acme', service.repo, 'prod', { customRule: true });
  return service;
}

/** The bot's message about run `runId`, once it shows `text`. */
export function requestFor(
  app: TestApp,
  runId: number,
  text = 'approval needed',
): Promise<StoredMessage> {
  return waitFor(`the Discord request for run ${runId}`, () =>
    app.discord
      .messagesIn(GATE_CHANNEL)
      .find((m) => messageText(m).includes(`#${runId}`) && messageText(m).includes(text)),
  );
}

export const answersFor = (app: TestApp, runId: number) =>
  app.github.protectionAnswers.filter((answer) => answer.runId === runId);

export const deploymentIdIn = (message: StoredMessage) =>
  /Deployment: (d-[0-9a-f]{6})/.exec(messageText(message))![1];

/** GitHub's first answer about run `runId`, once it has one. */
export async function firstAnswer(app: TestApp, runId: number) {
  const [answer] = await waitFor(`GitHub to get an answer about run ${runId}`, () => {
    const answers = answersFor(app, runId);
    return answers.length ? answers : undefined;
  });
  return answer!;
}

/** A run `octo-dev` starts on GitHub (by `event`) whose job deploys to `prod`: GitHub asks the bot. */
export function heldRun(app: TestApp, repo: string, event = 'workflow_dispatch') {
  return app.github.startRun('acme', repo, { event, actor: 'octo-dev', environment: 'prod' });
}
