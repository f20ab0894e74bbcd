import { Module } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { scrubSecrets } from './scrub-secrets';

const QUIET_PATHS = /^\/(metrics|health)(\/|\?|$)/;

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const scrub = scrubSecrets(config.secrets());
        return {
          pinoHttp: {
            level: config.logLevel,
            // Readable lines for people in development, JSON lines for machines elsewhere.
            transport:
              config.nodeEnv === 'development'
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
            // Last line of defence: a configured secret never reaches the output, whatever path
            // it took into a log line.
            hooks: { streamWrite: scrub },
            autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
            quietReqLogger: true,
          },
        };
      },
    }),
  ],
})
export class LoggingModule {}
