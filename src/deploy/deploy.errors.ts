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
  constructor(
    inFlight: Pick<Deployment, 'id' | 'service' | 'environment' | 'status' | 'requester'>,
  ) {
    super(
      'DEPLOY.TARGET_BUSY',
      `${inFlight.service} → ${inFlight.environment} already has deployment ${inFlight.id} ` +
        `${inFlight.status.replace('_', ' ')}, requested by ${inFlight.requester.name}. Wait for it to finish.`,
      409,
    );
  }
}

export class CapacityError extends AppError {
  constructor(max: number, inFlight: Array<Pick<Deployment, 'id' | 'service' | 'environment'>>) {
    const list = inFlight.map((d) => `${d.id} (${d.service} → ${d.environment})`).join(', ');
    super(
      'DEPLOY.CAPACITY',
      `${max} deployment${max === 1 ? ' is' : 's are'} already in flight, the most allowed at once${list ? `: ${list}` : ''}. Try again when one finishes.`,
      429,
    );
  }
}

export class ApprovalRequiredError extends AppError {
  constructor(environment: string) {
    super(
      'DEPLOY.APPROVAL_REQUIRED',
      `${environment} is protected: deploys there need an approval.`,
      403,
    );
  }
}

export class UnknownDeploymentError extends AppError {
  constructor(id: string) {
    super('DEPLOY.UNKNOWN', `Unknown deployment "${id.slice(0, 20)}".`, 404);
  }
}
