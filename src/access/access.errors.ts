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

export class GithubLoginTakenError extends AppError {
  constructor(login: string) {
    super(
      'ACCESS.GITHUB_LOGIN_TAKEN',
      `GitHub account ${plainText(login, 39)} is already linked to another member: unlink that member first (/access unlink).`,
      409,
    );
  }
}

export class GithubLinkNotFoundError extends AppError {
  constructor() {
    super('ACCESS.NO_GITHUB_LINK', 'That member has no linked GitHub account to unlink.', 404);
  }
}
