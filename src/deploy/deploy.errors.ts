import { AppError } from '../../libs/errors';
import { plainText } from '../../libs/text';
import type { Deployment } from '../deployments/deployment';

export class UnknownDeploymentError extends AppError {
  constructor(id: string) {
    super('DEPLOY.UNKNOWN', `Unknown deployment "${plainText(id, 20)}".`, 404);
  }
}

export class AlreadyFinishedError extends AppError {
  constructor(deployment: Pick<Deployment, 'id' | 'status'>) {
    super(
      'DEPLOY.FINISHED',
      `Deployment ${deployment.id} has already ended (${deployment.status.replace('_', ' ')}).`,
      409,
    );
  }
}

export class NoRunYetError extends AppError {
  constructor(id: string) {
    super(
      'DEPLOY.NO_RUN_YET',
      `Deployment ${id} has no GitHub run yet; try again in a moment.`,
      409,
    );
  }
}

export class RunAlreadyFinishedError extends AppError {
  constructor(deployment: Pick<Deployment, 'id' | 'runId'>) {
    super(
      'DEPLOY.RUN_FINISHED',
      `Run #${deployment.runId} had already finished on GitHub; deployment ${deployment.id} shows how it ended in a moment.`,
      409,
    );
  }
}
