import { AppError } from '../../libs/errors';
import { plainText, utcTime } from '../../libs/text';
import type { TargetLock } from './target-lock.repository';

export class TargetLockedError extends AppError {
  /** `after` adds what happens next (an approval says the request stays pending). */
  constructor(lock: TargetLock, after = '') {
    super(
      'DEPLOY.TARGET_LOCKED',
      `${lock.service} → ${lock.environment} is locked by ${plainText(lock.by.name, 60)} since ` +
        `${utcTime(lock.at)}: ${plainText(lock.reason, 300)}${after ? ` ${after}` : ''}`,
      423,
    );
  }
}

export class NotLockedError extends AppError {
  constructor(service: string, environment: string) {
    super('DEPLOY.NOT_LOCKED', `${service} → ${environment} is not locked.`, 409);
  }
}
