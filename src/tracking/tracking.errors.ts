import { AppError } from '../../libs/errors';

export class WebhookDisabledError extends AppError {
  constructor() {
    super('WEBHOOK.DISABLED', 'Webhooks are disabled: WEBHOOK_SECRET is not configured.', 503);
  }
}

export class WebhookSignatureError extends AppError {
  constructor() {
    super('WEBHOOK.BAD_SIGNATURE', 'Missing or invalid X-Hub-Signature-256.', 401);
  }
}

export class WebhookPayloadError extends AppError {
  constructor() {
    super(
      'WEBHOOK.MALFORMED',
      'The payload is not a GitHub delivery in JSON (set the webhook content type to application/json).',
      400,
    );
  }
}
