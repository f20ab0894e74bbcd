import { AppError } from '../../../libs/errors';

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

export class WebhookTooLargeError extends AppError {
  constructor() {
    super('WEBHOOK.TOO_LARGE', 'The payload is larger than 1 MiB.', 413);
  }
}

export class WebhookBusyError extends AppError {
  constructor() {
    super('WEBHOOK.BUSY', 'Too many deliveries are being received at once; try again.', 503);
  }
}

export class WebhookTimeoutError extends AppError {
  constructor(why = 'The payload did not arrive within 10 seconds.') {
    super('WEBHOOK.TIMEOUT', why, 408);
  }
}

export class WebhookAbortedError extends AppError {
  constructor() {
    super('WEBHOOK.ABORTED', 'The request was aborted before its payload arrived.', 400);
  }
}
