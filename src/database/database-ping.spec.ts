import { Connection } from 'mongoose';
import { DatabaseUnavailableError } from '../../libs/errors';
import { DatabasePing } from './database-ping';

/** A connection whose pings the spec answers by hand. */
function connectionWithManualPings() {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const connection = {
    db: {
      admin: () => ({
        ping: () =>
          new Promise<void>((resolve, reject) => {
            pending.push({ resolve, reject });
          }),
      }),
    },
  } as unknown as Connection;
  return { connection, pending };
}

describe('DatabasePing', () => {
  it('shares the ping in flight between callers, and sends a new one after it is answered', async () => {
    const { connection, pending } = connectionWithManualPings();
    const database = new DatabasePing(connection);

    const first = database.ping();
    const second = database.ping();
    expect(pending).toHaveLength(1);
    pending[0].resolve();
    await expect(first).resolves.toBeGreaterThanOrEqual(0);
    await expect(second).resolves.toBeGreaterThanOrEqual(0);

    const third = database.ping();
    expect(pending).toHaveLength(2);
    pending[1].resolve();
    await expect(third).resolves.toBeGreaterThanOrEqual(0);
  });

  it('gives every sharer the failure, then tries again on the next call', async () => {
    const { connection, pending } = connectionWithManualPings();
    const database = new DatabasePing(connection);

    const first = database.ping();
    const second = database.ping();
    pending[0].reject(new Error('connection closed'));
    await expect(first).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(second).rejects.toBeInstanceOf(DatabaseUnavailableError);

    void database.ping().catch(() => undefined);
    expect(pending).toHaveLength(2);
    pending[1].resolve();
  });
});
