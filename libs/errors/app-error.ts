/**
 * The one error type whose message may be shown to a user. `code` is stable (`DEPLOY.LOCKED`)
 * so logs, metrics and tests can rely on it; `httpStatus` is what the HTTP transport answers.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const REF = Symbol('errorRef');

/** The short reference under which an unexpected error is logged, the same wherever it is asked. */
export function errorRef(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const holder = error as { [REF]?: string };
  holder[REF] ??= Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return holder[REF];
}

export class DatabaseUnavailableError extends AppError {
  constructor() {
    super('DATABASE.UNAVAILABLE', 'The database is unavailable right now. Try again shortly.', 503);
  }
}

export class ValidationError extends AppError {
  constructor(message: string) {
    super('INPUT.INVALID', message, 400);
  }
}

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

/** The error as one a user may read: itself, "the database is unavailable", or undefined. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseDown(error)) return new DatabaseUnavailableError();
  return undefined;
}

/** The HTTP answer for an error: its status and a JSON body safe to show. */
export function httpErrorAnswer(
  appError: AppError | undefined,
  ref?: string,
  shown: (message: string) => string = (message) => message,
): { status: number; body: object } {
  if (appError)
    return {
      status: appError.httpStatus,
      body: { error: { code: appError.code, message: shown(appError.message) } },
    };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: `Something went wrong (ref ${ref})` } },
  };
}
