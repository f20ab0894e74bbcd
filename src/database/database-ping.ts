import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { DatabaseUnavailableError } from '../../libs/errors';

/** Whether MongoDB answers right now, and how fast. */
@Injectable()
export class DatabasePing {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Milliseconds a ping took; DatabaseUnavailableError when it did not answer within a second. */
  async ping(): Promise<number> {
    const started = Date.now();
    try {
      await this.connection.db!.admin().ping({ maxTimeMS: 1_000 });
    } catch {
      throw new DatabaseUnavailableError();
    }
    return Date.now() - started;
  }
}
