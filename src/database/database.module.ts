import { Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection, MongooseModule } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { MongoEndpoint } from './mongo-endpoint';

@Module({
  providers: [
    { provide: MongoEndpoint, inject: [AppConfig], useFactory: (c: AppConfig) => MongoEndpoint.open(c) },
  ],
  exports: [MongoEndpoint],
})
class MongoEndpointModule {}

/** Closes the connection before the engine host it talks to. */
@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly endpoint: MongoEndpoint,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    await this.endpoint.close();
  }
}

function watchConnection(connection: Connection): Connection {
  const logger = new Logger('Database');
  connection.on('disconnected', () => logger.warn('MongoDB disconnected; the driver keeps retrying'));
  connection.on('reconnected', () => logger.log('MongoDB reconnected'));
  connection.on('error', (error: Error) => logger.error(`MongoDB error: ${error.message}`));
  return connection;
}

@Module({
  imports: [
    MongooseModule.forRootAsync({
      imports: [MongoEndpointModule],
      inject: [MongoEndpoint],
      useFactory: (endpoint: MongoEndpoint) => ({
        uri: endpoint.uri,
        // Fail fast while the server is down instead of queueing: callers answer "database
        // unavailable" rather than hanging.
        bufferCommands: false,
        serverSelectionTimeoutMS: 2_000,
        heartbeatFrequencyMS: 2_000,
        retryAttempts: 1,
        connectionFactory: watchConnection,
      }),
    }),
    MongoEndpointModule,
  ],
  providers: [DatabaseShutdown],
  exports: [MongoEndpointModule],
})
export class DatabaseModule {}
