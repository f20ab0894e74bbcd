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

export class PromotionOrderError extends AppError {
  constructor(sha: string, environment: string, from: string) {
    super(
      'DEPLOY.PROMOTE_FIRST',
      `\`${sha.slice(0, 7)}\` has not been deployed successfully to ${from} yet: deploy it there first (${environment} takes only what succeeded on ${from}).`,
      409,
    );
  }
}
