import { AppError } from '../../libs/errors';
import { plainText, utcTime } from '../../libs/text';
import type { Freeze } from './schedule.repository';

/** How a freeze reads: who, why, and until when. */
export function freezeText(freeze: Freeze): string {
  const scope = `${freeze.service ?? 'every service'} → ${freeze.environment === '*' ? 'every environment' : freeze.environment}`;
  const until = freeze.until ? `until ${utcTime(freeze.until)}` : 'until an admin lifts it';
  return `${scope} is frozen by ${plainText(freeze.by.name, 60)} ${until}: ${plainText(freeze.reason, 300)}`;
}

/** Deploys, approvals and dispatches stop on a frozen target; rollbacks go through. */
export class FrozenError extends AppError {
  constructor(
    target: { service: string; environment: string },
    freeze: Freeze,
    after = 'Rollbacks are still allowed.',
  ) {
    super(
      'DEPLOY.FROZEN',
      `${target.service} → ${target.environment} is frozen: ${freezeText(freeze)}. ${after}`,
      423,
    );
  }
}

/** A deny window covers now, or the target has allow windows and none covers now. */
export class WindowClosedError extends AppError {
  constructor(
    target: { service: string; environment: string },
    why: string,
    after = 'Rollbacks are still allowed.',
  ) {
    super(
      'DEPLOY.WINDOW_CLOSED',
      `${target.service} → ${target.environment} is outside its deploy window: ${why}. ${after}`,
      423,
    );
  }
}

export class AlreadyFrozenError extends AppError {
  constructor(freeze: Freeze) {
    super(
      'FREEZE.EXISTS',
      `${freezeText(freeze)}. Lift it with /unfreeze first to change it.`,
      409,
    );
  }
}

export class NotFrozenError extends AppError {
  constructor(scope: string) {
    super('FREEZE.NONE', `${scope} is not frozen.`, 409);
  }
}
