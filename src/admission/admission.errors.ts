import { AppError } from '../../libs/errors';
import { fitLines, plainText } from '../../libs/text';
import type { Deployment } from '../deployments/deployment';

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
  /**
   * `holder` is the deployment in flight (unknown when it ended in the meantime); `after`
   * replaces the closing advice (an approval says what happens to the request).
   */
  constructor(
    target: { service: string; environment: string },
    holder?: Pick<Deployment, 'id' | 'status' | 'requester'> | null,
    after = 'Wait for it to finish.',
  ) {
    const what = holder
      ? `deployment ${holder.id} ${holder.status.replace('_', ' ')}, requested by ${plainText(holder.requester.name, 60)}`
      : 'a deployment in flight';
    super(
      'DEPLOY.TARGET_BUSY',
      `${target.service} → ${target.environment} already has ${what}. ${after}`,
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
