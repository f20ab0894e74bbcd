import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { Clock } from '../libs/clock';
import { Instance } from '../libs/instance';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { MongoEndpoint } from './database/mongo-endpoint';
import { HardenedExpressAdapter } from './http/hardened-express.adapter';
import { bootLogger, createRootLogger } from './logging/root-logger';

/**
 * Builds the whole app for a validated config: used by main.ts and by the end-to-end tests.
 * MongoDB is found first (starting the embedded engine if need be, retrying the first
 * connection), so that its progress is logged and a failure stops everything cleanly.
 */
export async function createApp(
  config: AppConfig,
  extraImports: ModuleMetadata['imports'] = [],
  clock?: Clock,
): Promise<INestApplication> {
  const instance = new Instance();
  const rootLogger = createRootLogger(config, instance);
  const endpoint = await MongoEndpoint.open(config, bootLogger(rootLogger, 'Database'));
  try {
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, { rootLogger, endpoint, clock, instance }, extraImports),
      new HardenedExpressAdapter(),
      {
        bufferLogs: true,
        // No route reads a request body (the webhook reads its own, with its own limits).
        bodyParser: false,
        // Throw instead of exiting: main.ts reports boot failures, tests see them.
        abortOnError: false,
      },
    );
    app.useLogger(app.get(Logger));
    app.disable('x-powered-by');
    return app;
  } catch (error) {
    await endpoint.close();
    throw error;
  }
}
