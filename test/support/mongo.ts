import { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

/** The app's own MongoDB connection, for a test to arrange or inspect state directly. */
export function appConnection(app: INestApplication): Connection {
  return app.get<Connection>(getConnectionToken());
}
