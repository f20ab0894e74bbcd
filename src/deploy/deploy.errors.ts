import { AppError } from '../../libs/errors';
import { Deployment } from './deployment';

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
        `${inFlight.status.replace('_', ' ')}, requested by ${inFlight.requester.name}. ${after}`,
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
    const list = inFlight.map((d) => `${d.id} (${d.service} → ${d.environment})`).join(', ');
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
    super('DEPLOY.UNKNOWN', `Unknown deployment "${id.slice(0, 20)}".`, 404);
  }
}
