import { Logger, LoggerService } from '@nestjs/common';
import { ConnectionString } from 'mongodb-connection-string-url';
import type * as EmbeddedMongo from '../../libs/embedded-mongo';
import type { EngineHost } from '../../libs/embedded-mongo';

/**
 * Loaded only when it is used: with MONGODB_URI the embedded engine (an optional dependency,
 * absent from the production image) is never touched.
 */
function embeddedEngine(): typeof EmbeddedMongo {
  return require('../../libs/embedded-mongo') as typeof EmbeddedMongo;
}
import { AppConfig } from '../config/app-config';
import { waitForDatabase } from './connect-with-retry';

export class EmbeddedEngineUnavailableError extends Error {}

/** Where MongoDB is: the configured server, or the embedded engine host this app supervises. */
export class MongoEndpoint {
  private host?: EngineHost;
  private shuttingDown = false;
  private restarts = 0;

  private constructor(
    readonly uri: string,
    readonly kind: 'server' | 'embedded',
    private readonly logger: LoggerService,
    private readonly dataDir?: string,
  ) {}

  /** Finds MongoDB before the app starts: nothing else runs until it answers. */
  static async open(
    config: AppConfig,
    logger: LoggerService = new Logger('Database'),
  ): Promise<MongoEndpoint> {
    const endpoint = config.mongo.uri
      ? new MongoEndpoint(config.mongo.uri, 'server', logger)
      : await MongoEndpoint.startEmbedded(config.mongo.dataDir, logger);
    logger.log(`Connecting to MongoDB (${endpoint.describe()})`);
    try {
      await waitForDatabase(endpoint.uri, (attempt, reason, retryInMs) =>
        logger.warn(
          `MongoDB connection attempt ${attempt} failed: ${reason}` +
            (retryInMs ? `; retrying in ${retryInMs / 1000} s` : '; giving up'),
        ),
      );
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    return endpoint;
  }

  private static async startEmbedded(
    dataDir: string,
    logger: LoggerService,
  ): Promise<MongoEndpoint> {
    try {
      const host = await embeddedEngine().EngineHost.start({ dataDir });
      const endpoint = new MongoEndpoint(host.uri, 'embedded', logger, dataDir);
      endpoint.adopt(host);
      logger.log(`Embedded MongoDB engine started (${host.runtime.kind}) with data in ${dataDir}`);
      return endpoint;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EmbeddedEngineUnavailableError(
        `The embedded MongoDB engine cannot run on this machine (${reason}). ` +
          'Set MONGODB_URI to a MongoDB server instead.',
      );
    }
  }

  /** Host names only: never credentials or query options. */
  describe(): string {
    if (this.kind === 'embedded') return `embedded engine, data in ${this.dataDir}`;
    try {
      return `server ${new ConnectionString(this.uri).hosts.join(',')}`;
    } catch {
      return 'server';
    }
  }

  private adopt(host: EngineHost): void {
    this.host = host;
    host.onUnexpectedExit((code, signal) => {
      if (this.shuttingDown) return;
      this.logger.error(`Embedded MongoDB engine exited unexpectedly (${signal ?? code})`);
      void this.restartHost();
    });
  }

  /** Restarts a crashed host on the same data directory; the URI stays the same. */
  private async restartHost(): Promise<void> {
    const delay = Math.min(30_000, 1_000 * 2 ** this.restarts++);
    await new Promise((done) => setTimeout(done, delay).unref());
    if (this.shuttingDown || !this.dataDir) return;
    try {
      this.adopt(await embeddedEngine().EngineHost.start({ dataDir: this.dataDir }));
      this.logger.log('Embedded MongoDB engine restarted');
      this.restarts = 0;
    } catch (error) {
      this.logger.error(`Embedded MongoDB engine restart failed: ${(error as Error).message}`);
      void this.restartHost();
    }
  }

  async close(): Promise<void> {
    this.shuttingDown = true;
    await this.host?.stop();
  }
}
