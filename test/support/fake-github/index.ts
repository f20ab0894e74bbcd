export * from './model';
export { FakeGithub, ROUTES } from './fake-github';
export { reviewKey, type OutsideRun } from './environments';
export { sendWebhook } from './webhooks';
