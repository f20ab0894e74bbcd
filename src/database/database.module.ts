import {
  DynamicModule,
  Global,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectConnection, MongooseModule } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { DatabasePing } from './database-ping';
import { guardDriverConnections } from './driver-guard';
import { MongoEndpoint } from './mongo-endpoint';

@Global()
@Module({})
class MongoEndpointModule {
  static forRoot(endpoint: MongoEndpoint): DynamicModule {
    return {
      module: MongoEndpointModule,
      providers: [{ provide: MongoEndpoint, useValue: endpoint }],
      exports: [MongoEndpoint],
    };
  }
}

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
  connection.on('disconnected', () =>
    logger.warn('MongoDB disconnected; the driver keeps retrying'),
  );
  connection.on('reconnected', () => logger.log('MongoDB reconnected'));
  connection.on('error', (error: Error) => logger.error(`MongoDB error: ${error.message}`));
  return connection;
}

/** Mongoose on the endpoint that main found (a server, or the embedded engine host). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(endpoint: MongoEndpoint): DynamicModule {
    guardDriverConnections();
    return {
      module: DatabaseModule,
      imports: [
        MongoEndpointModule.forRoot(endpoint),
        MongooseModule.forRootAsync({
          useFactory: () => ({
            uri: endpoint.uri,
            // Fail fast while the server is down instead of queueing: callers answer "database
            // unavailable" rather than hanging.
            bufferCommands: false,
            serverSelectionTimeoutMS: 2_000,
            heartbeatFrequencyMS: 2_000,
            // Bounds a connection attempt that gets no answer (the driver's default is 30 s), so
            // a server that comes back is seen within seconds.
            connectTimeoutMS: 10_000,
            retryAttempts: 1,
            connectionFactory: watchConnection,
          }),
        }),
      ],
      providers: [DatabaseShutdown, DatabasePing],
      exports: [DatabasePing],
    };
  }
}
