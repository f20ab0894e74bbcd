import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { BaseInteraction, MessageFlags } from 'discord.js';
import type { Response } from 'express';
import { NecordArgumentsHost } from 'necord';
import { AppError, DatabaseUnavailableError, errorRef } from '../libs/errors';
import { truncate } from '../libs/text';
import { LIMITS } from './discord/limits';

const DATABASE_DOWN = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** Errors that mean "the database is not answering", whatever layer raised them. */
export function isDatabaseDown(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    DATABASE_DOWN.has(error.name) ||
    DATABASE_DOWN.has(error.constructor.name) ||
    /buffering timed out|before initial connection is complete|Client must be connected/i.test(
      error.message,
    )
  );
}

/** The HTTP answer for an error: its status and a JSON body safe to show. */
export function httpErrorAnswer(
  appError: AppError | undefined,
  ref?: string,
): { status: number; body: object } {
  if (appError)
    return {
      status: appError.httpStatus,
      body: { error: { code: appError.code, message: appError.message } },
    };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: `Something went wrong (ref ${ref})` } },
  };
}

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseDown(error)) return new DatabaseUnavailableError();
  return undefined;
}

/**
 * The one place errors become answers: an AppError's message is shown to the user; anything
 * else becomes "Something went wrong (ref …)" and is logged in full under that ref.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    if (exception instanceof HttpException && host.getType() === 'http') {
      const response = host.switchToHttp().getResponse<Response>();
      if (!response.headersSent)
        response.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const appError = toAppError(exception);
    const ref = appError ? undefined : errorRef(exception);
    if (ref) this.logger.error({ err: exception, ref }, `Unhandled error (ref ${ref})`);
    else if (appError instanceof DatabaseUnavailableError && exception !== appError) {
      this.logger.warn(
        `${appError.code}: ${(exception as Error).name}: ${(exception as Error).message}`,
      );
    } else this.logger.warn(`${appError!.code}: ${appError!.message}`);

    if (host.getType<string>() === 'necord') {
      const [interaction] = NecordArgumentsHost.create(host).getContext<'interactionCreate'>();
      return this.answerInteraction(interaction, appError, ref);
    }
    if (host.getType() === 'http') return this.answerHttp(host, appError, ref);
  }

  private async answerInteraction(interaction: unknown, appError?: AppError, ref?: string) {
    if (!(interaction instanceof BaseInteraction)) return;
    const content = truncate(
      appError ? appError.message : `Something went wrong (ref ${ref}).`,
      LIMITS.content,
    );
    try {
      if (interaction.isAutocomplete()) {
        if (!interaction.responded) await interaction.respond([]);
      } else if (interaction.isRepliable()) {
        if (interaction.isMessageComponent() && (interaction.deferred || interaction.replied)) {
          // A click acknowledged already: the message belongs to everyone, answer aside.
          await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
        } else if ((interaction.deferred || interaction.replied) && interaction.ephemeral) {
          await interaction.editReply({ content, embeds: [], components: [] });
        } else if (interaction.deferred || interaction.replied) {
          // A public "thinking…" reply: take it away and tell only the person who asked.
          await interaction.deleteReply().catch(() => undefined);
          await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
        } else {
          await interaction.reply({ content, flags: MessageFlags.Ephemeral });
        }
      }
    } catch (error) {
      this.logger.warn(`Could not report an error to Discord: ${(error as Error).message}`);
    }
  }

  private answerHttp(host: ArgumentsHost, appError?: AppError, ref?: string) {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const { status, body } = httpErrorAnswer(appError, ref);
    response.status(status).json(body);
  }
}
