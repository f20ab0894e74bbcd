import { AppError } from '../../libs/errors';

export class NothingToRollBackError extends AppError {
  constructor(message: string) {
    super('ROLLBACK.NOTHING', message, 409);
  }
}
