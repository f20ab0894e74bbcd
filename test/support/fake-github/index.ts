export * from './model';
export { FakeGithub, ROUTES } from './fake-github';
export { sendWebhook } from './webhooks';
