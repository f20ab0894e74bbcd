import type { LoggerService } from '@nestjs/common';
import { hostname } from 'node:os';
import pino, { Logger } from 'pino';
import type { Instance } from '../../libs/instance';
import { AppConfig } from '../config/app-config';
import { scrubSecrets } from './scrub-secrets';

/** Whether pino-pretty (a development dependency) is installed here. */
function prettyPrinterInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * The one pino logger: JSON lines for machines, readable lines for people in development (JSON
 * there too when pino-pretty is not installed, as in a production install).
 */
export function createRootLogger(config: AppConfig, instance?: Instance): Logger {
  const pretty = config.nodeEnv === 'development' && prettyPrinterInstalled();
  const logger = pino({
    level: config.logLevel,
    // Every line says which of the bot's instances wrote it.
    ...(instance
      ? { base: { pid: process.pid, hostname: hostname(), instance: instance.id } }
      : {}),
    transport: pretty
      ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : undefined,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-hub-signature"]',
        'req.headers["x-hub-signature-256"]',
        'res.headers["set-cookie"]',
        '*.token',
        '*.secret',
      ],
      censor: '[redacted]',
    },
    // Last line of defence: a configured secret never reaches the output, whatever path it took
    // into a log line (a URL, an error message, a header).
    hooks: { streamWrite: scrubSecrets(config.secrets()) },
  });
  if (config.nodeEnv === 'development' && !pretty)
    logger.info('pino-pretty is not installed: logging JSON lines');
  return logger;
}

/** A Nest-shaped view of a pino logger, for code that runs before Nest's logger exists. */
export function bootLogger(root: Logger, context: string): LoggerService {
  const child = root.child({ context });
  return {
    log: (message: string) => child.info(message),
    warn: (message: string) => child.warn(message),
    error: (message: string) => child.error(message),
    debug: (message: string) => child.debug(message),
  };
}
