import { AppError } from '../../libs/errors';
import type { Deployment } from '../deployments/deployment';

/** The request is no longer held at the CI gate: it went on, ended, or its time there is over. */
export class NotAtGateError extends AppError {
  constructor(deployment: Deployment) {
    super(
      'CI_GATE.NOT_HELD',
      `${deployment.id} is no longer waiting at the CI gate (it is ${deployment.status.replace(/_/g, ' ')}).`,
      409,
    );
  }
}

/** The member has CI_HELD_PER_MEMBER requests waiting at the gate already. */
export class TooManyHeldError extends AppError {
  constructor(limit: number, holding: Deployment[]) {
    const ids = holding.map(
      (deployment) => `${deployment.id} (${deployment.service} → ${deployment.environment})`,
    );
    super(
      'CI_GATE.TOO_MANY_HELD',
      `You have ${limit} request${limit === 1 ? '' : 's'} waiting at the CI gate already${ids.length ? `: ${ids.join(', ')}` : ''}. Cancel one (/cancel id) or wait for CI; a new request for the same target replaces the old one.`,
      429,
    );
  }
}
