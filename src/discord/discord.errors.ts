import { AppError } from '../../libs/errors';

/** A click on a component nothing handles: a forged or outdated custom id. */
export class UnknownComponentError extends AppError {
  constructor() {
    super('DISCORD.UNKNOWN_COMPONENT', 'Unknown or expired request.', 404);
  }
}
