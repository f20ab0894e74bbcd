import { AppError } from '../../libs/errors';

export class UnknownRequestError extends AppError {
  constructor() {
    super('APPROVAL.UNKNOWN', 'Unknown or expired request.', 404);
  }
}

export class SelfApprovalError extends AppError {
  constructor() {
    super('APPROVAL.SELF', 'You asked for this deployment: another admin has to approve it.', 403);
  }
}
