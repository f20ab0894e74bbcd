import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { DatabaseUnavailableError } from '../../libs/errors';

/** Whether MongoDB answers right now, and how fast. */
@Injectable()
export class DatabasePing {
  /** The ping on its way: callers meanwhile share it instead of sending their own. */
  private inFlight?: Promise<number>;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  /**
   * Milliseconds a ping took; DatabaseUnavailableError when it did not answer within a second.
   * At most one ping is in flight: a readiness endpoint polled often (or by anyone who can reach
   * it) cannot pile up pings that wait for a server coming back and then all land at once.
   */
  ping(): Promise<number> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(): Promise<number> {
    const started = Date.now();
    try {
      await this.connection.db!.admin().ping({ maxTimeMS: 1_000 });
    } catch {
      throw new DatabaseUnavailableError();
    }
    return Date.now() - started;
  }
}
