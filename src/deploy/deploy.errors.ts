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

/** A queued request that is no longer waiting: admitted, being admitted, or ended. */
export class QueueEntryMovedError extends AppError {
  constructor(entry: { id: string; state: string; deploymentId?: string; note?: string }) {
    const why =
      entry.state === 'admitted'
        ? `it was admitted as ${entry.deploymentId}: /cancel ${entry.deploymentId} cancels that.`
        : entry.state === 'admitting'
          ? 'it is being admitted right now: cancel its deployment once its message shows.'
          : `it is no longer waiting (${entry.state.replace('_', ' ')}${entry.note ? `: ${plainText(entry.note, 200)}` : ''}).`;
    super('QUEUE.NOT_WAITING', `Request ${entry.id} cannot be taken out of the queue: ${why}`, 409);
  }
}

export class QueueFullError extends AppError {
  constructor(target: { service: string; environment: string }, length: number) {
    super(
      'QUEUE.FULL',
      `The queue of ${target.service} → ${target.environment} is full (${length} requests wait, the most allowed). Try again once it moves: /queue shows it.`,
      429,
    );
  }
}

export class MemberQueueLimitError extends AppError {
  constructor(max: number) {
    super(
      'QUEUE.MEMBER_LIMIT',
      `You have ${max} requests waiting in queues already, the most one member may have: /cancel one (/queue shows them) or wait for them to go.`,
      429,
    );
  }
}

export class OfferGoneError extends AppError {
  constructor() {
    super(
      'QUEUE.OFFER_GONE',
      'This offer is no longer open (it was used, or 15 minutes passed). Run /deploy again.',
      410,
    );
  }
}
