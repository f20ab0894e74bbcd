import { AppError } from '../../libs/errors';

export class UnknownRequestError extends AppError {
  constructor() {
    super('APPROVAL.UNKNOWN', 'Unknown or expired request.', 404);
  }
}

export class SelfApprovalError extends AppError {
  /** `onGithub`: the run was started by the GitHub account linked to the clicker. */
  constructor(onGithub = false) {
    super(
      'APPROVAL.SELF',
      onGithub
        ? 'Your linked GitHub account started this run: another admin has to approve it.'
        : 'You asked for this deployment: another admin has to approve it.',
      403,
    );
  }
}

export class OverriderAloneError extends AppError {
  constructor(schedule = false) {
    super(
      'APPROVAL.OVERRIDER_ALONE',
      schedule
        ? 'You sent this through a freeze or a closed deploy window: another admin has to approve it.'
        : 'You deployed this past the CI gate: another admin has to approve it.',
      403,
    );
  }
}

/** What must hold at the decisive approval does not (a lock, the promotion order): `code` says which. */
export class LaunchRefusedError extends AppError {
  constructor(code: string, why: string) {
    super(code, `${why.replace(/\s+$/, '')} The request stays pending until it expires.`, 409);
  }
}
