import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  AppError,
  DatabaseUnavailableError,
  errorRef,
  httpErrorAnswer,
  toAppError,
} from '../libs/errors';
import {
  answerInteractionError,
  OfferedRefusal,
  interactionOf,
  isInteractionHost,
} from './discord/interaction-errors';
import { CommandTurns } from './discord/command-turns';
import { InteractionsInFlight } from './discord/interactions-in-flight';
import { AppConfig } from './config/app-config';
import { scrubSecrets } from './logging/scrub-secrets';

/**
 * The one place errors become answers: an AppError's message is shown to the user; anything
 * else becomes "Something went wrong (ref …)" and is logged in full under that ref.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  /** What a user is shown never holds a configured secret or anything shaped like a credential. */
  private readonly scrub: (text: string) => string;

  constructor(
    private readonly interactions: InteractionsInFlight,
    private readonly turns: CommandTurns,
    config: AppConfig,
  ) {
    this.scrub = scrubSecrets(config.secrets());
  }

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    try {
      await this.answer(exception, host);
    } finally {
      // The command's turn, held for this answer, is given back (CommandTurns).
      if (isInteractionHost(host)) this.turns.answered(interactionOf(host) as object);
    }
  }

  private async answer(exception: unknown, host: ArgumentsHost): Promise<void> {
    if (isInteractionHost(host)) {
      const interaction = interactionOf(host);
      if (this.interactions.answeredElsewhere(interaction, exception)) {
        // Handled here without a claim (the database was down), and another instance answered.
        this.logger.debug(`Another instance answered this interaction: ${String(exception)}`);
        return;
      }
    }
    if (exception instanceof HttpException && host.getType() === 'http') {
      const response = host.switchToHttp().getResponse<Response>();
      if (!response.headersSent)
        response.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const appError = toAppError(exception);
    const ref = appError ? undefined : errorRef(exception);
    this.log(exception, appError, ref);

    if (isInteractionHost(host)) {
      const message = appError
        ? this.scrub(appError.message)
        : `Something went wrong (ref ${ref}).`;
      const offered = appError instanceof OfferedRefusal ? appError.controls : [];
      return answerInteractionError(interactionOf(host), message, offered);
    }
    if (host.getType() === 'http') {
      const response = host.switchToHttp().getResponse<Response>();
      if (response.headersSent) return;
      const { status, body } = httpErrorAnswer(appError, ref, this.scrub);
      response.status(status).json(body);
    }
  }

  private log(exception: unknown, appError?: AppError, ref?: string): void {
    if (ref) this.logger.error({ err: exception, ref }, `Unhandled error (ref ${ref})`);
    else if (appError instanceof DatabaseUnavailableError && exception !== appError) {
      const error = exception as Error;
      this.logger.warn(`${appError.code}: ${error.name}: ${error.message}`);
    } else this.logger.warn(`${appError!.code}: ${appError!.message}`);
  }
}
