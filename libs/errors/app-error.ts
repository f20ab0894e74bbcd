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
