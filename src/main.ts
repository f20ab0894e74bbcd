import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { errorRef } from '../libs/errors';
import { Instance } from '../libs/instance';
import { createApp } from './bootstrap';
import { AppConfig, ConfigValidationError, loadAppConfigFromProcess } from './config/app-config';

/** Handlers get 10 s to finish (the interaction gate), background workers the rest. */
const SHUTDOWN_DEADLINE_MS = 20_000;

function loadConfigOrExit(): AppConfig {
  try {
    return loadAppConfigFromProcess();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
    process.exit(1);
  }
}

/**
 * Nothing Discord, GitHub or MongoDB does may end the process: an error that escaped its handler
 * is logged with a ref, and the bot keeps serving.
 */
function containEscapedErrors(): void {
  const logger = new Logger('Process');
  process.on('unhandledRejection', (reason) => {
    const ref = errorRef(reason);
    logger.error({ err: reason, ref }, `Unhandled rejection (ref ${ref}); the bot keeps running`);
  });
  process.on('uncaughtException', (error) => {
    const ref = errorRef(error);
    logger.error({ err: error, ref }, `Uncaught exception (ref ${ref}); the bot keeps running`);
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  containEscapedErrors();
  const app = await createApp(config);
  const logger = new Logger('Main');
  const instance = app.get(Instance);
  const stop = (signal: NodeJS.Signals) => {
    if (instance.stopping) return;
    // Before anything else: from now on, the other instances take every interaction.
    instance.stopping = true;
    logger.log(`${signal} received; shutting down`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.error(`Shutdown failed: ${error.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.listen(config.port, '0.0.0.0');
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`Listening on port ${port}`);
}

main().catch((error: Error) => {
  // Boot failures (database unreachable, embedded engine unusable, Discord login refused).
  process.stderr.write(`Startup failed: ${error.message}\n`);
  process.exit(1);
});
