import { AppError } from '../../libs/errors';
import { Deployment } from './deployment';
import { fitLines, plainText } from '../../libs/text';

export class CooldownError extends AppError {
  constructor(secondsLeft: number) {
    super(
      'DEPLOY.COOLDOWN',
      `You deployed moments ago; you can deploy again in ${secondsLeft} s.`,
      429,
    );
  }
}

export class TargetBusyError extends AppError {
  /** `after` replaces the closing advice (an approval says what happens to the request). */
  constructor(
    inFlight: Pick<Deployment, 'id' | 'service' | 'environment' | 'status' | 'requester'>,
    after = 'Wait for it to finish.',
  ) {
    super(
      'DEPLOY.TARGET_BUSY',
      `${inFlight.service} → ${inFlight.environment} already has deployment ${inFlight.id} ` +
        `${inFlight.status.replace('_', ' ')}, requested by ${plainText(inFlight.requester.name, 60)}. ${after}`,
      409,
    );
  }
}

export class CapacityError extends AppError {
  constructor(
    max: number,
    inFlight: Array<Pick<Deployment, 'id' | 'service' | 'environment'>>,
    after = 'Try again when one finishes.',
  ) {
    const list = fitLines(
      inFlight.map((d) => `${d.id} (${d.service} → ${d.environment})`),
      1_200,
      (n) => `… and ${n} more (/status shows each service)`,
    ).replace(/\n/g, ', ');
    const count = `${max} deployment${max === 1 ? ' is' : 's are'}`;
    super(
      'DEPLOY.CAPACITY',
      `${count} already in flight, the most allowed at once${list ? `: ${list}` : ''}. ${after}`,
      429,
    );
  }
}

export class UnknownDeploymentError extends AppError {
  constructor(id: string) {
    super('DEPLOY.UNKNOWN', `Unknown deployment "${plainText(id, 20)}".`, 404);
  }
}

export class TargetLockedError extends AppError {
  constructor(
    lock: { service: string; environment: string; reason: string; by: { name: string }; at: Date },
    after = '',
  ) {
    const since = `<t:${Math.floor(new Date(lock.at).getTime() / 1000)}:f>`;
    super(
      'DEPLOY.TARGET_LOCKED',
      `${lock.service} → ${lock.environment} is locked by ${plainText(lock.by.name, 60)} since ${since}: ${plainText(lock.reason, 300)}${after ? ` ${after}` : ''}`,
      423,
    );
  }
}

export class NotLockedError extends AppError {
  constructor(service: string, environment: string) {
    super('DEPLOY.NOT_LOCKED', `${service} → ${environment} is not locked.`, 409);
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
