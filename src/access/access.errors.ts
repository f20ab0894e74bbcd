import { AppError } from '../../libs/errors';
import { plainText } from '../../libs/text';

export class AccessDeniedError extends AppError {
  constructor(message: string) {
    super('ACCESS.DENIED', message, 403);
  }
}

export class GrantNotFoundError extends AppError {
  constructor(roleName: string) {
    super('ACCESS.NO_GRANT', `Role ${plainText(roleName, 100)} has no grant to revoke.`, 404);
  }
}
