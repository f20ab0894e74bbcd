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
