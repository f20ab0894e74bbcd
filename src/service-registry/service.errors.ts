import { AppError } from '../../libs/errors';
import { plainText } from '../../libs/text';

export class UnknownServiceError extends AppError {
  constructor(name: string) {
    super(
      'SERVICE.UNKNOWN',
      `Unknown service "${plainText(name, 64)}". \`/service list\` shows the registered ones.`,
      404,
    );
  }
}

export class ServiceExistsError extends AppError {
  constructor(name: string) {
    super(
      'SERVICE.EXISTS',
      `A service named "${name}" already exists; remove it first to replace it.`,
      409,
    );
  }
}

export class ServiceBusyError extends AppError {
  constructor(name: string, deploymentId: string, environment: string, status: string) {
    super(
      'SERVICE.BUSY',
      `${name} cannot be removed: deployment ${deploymentId} to ${environment} is ${status.replace('_', ' ')}.`,
      409,
    );
  }
}

export class EnvironmentNotAllowedError extends AppError {
  constructor(service: string, environment: string, allowed: string[]) {
    super(
      'SERVICE.ENVIRONMENT_NOT_ALLOWED',
      `${service} does not deploy to "${plainText(environment, 32)}"; its environments are ${allowed.join(', ')}.`,
      400,
    );
  }
}
