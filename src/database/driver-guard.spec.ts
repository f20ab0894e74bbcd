import { MongoClient, MongoNetworkError } from 'mongodb';
import { testDatabaseUri } from '../../test/support/database';
import { guardDriverConnections } from './driver-guard';

interface RawConnection {
  socket: { destroy(): void };
  closed: boolean;
  command(ns: unknown, command: object, options: object): Promise<unknown>;
  destroy(): void;
}

/** One driver connection to the test engine, outside any pool or monitor. */
async function rawConnection(client: MongoClient): Promise<RawConnection> {
  const { connect } = require('mongodb/lib/cmap/connect') as {
    connect(options: object): Promise<RawConnection>;
  };
  const options = client.options;
  return connect({ ...options, hostAddress: options.hosts[0], id: 1, generation: 0 });
}

describe('the MongoDB driver connection guard', () => {
  const client = new MongoClient(testDatabaseUri('driver_guard'));
  const admin = (require('mongodb/lib/utils') as { ns(name: string): unknown }).ns('admin.$cmd');

  afterAll(() => client.close());

  it('is installed for the driver in the lockfile', () => {
    expect(guardDriverConnections()).toBe(true);
  });

  it('fails a command at once on a connection whose socket was just closed, instead of never settling', async () => {
    guardDriverConnections();
    const connection = await rawConnection(client);
    try {
      await expect(connection.command(admin, { ping: 1 }, {})).resolves.toMatchObject({ ok: 1 });
      // As the server closing it leaves it: the socket destroyed, its 'close' event still to come.
      connection.socket.destroy();
      expect(connection.closed).toBe(false);
      await expect(connection.command(admin, { ping: 1 }, {})).rejects.toBeInstanceOf(
        MongoNetworkError,
      );
      expect(connection.closed).toBe(true);
    } finally {
      connection.destroy();
    }
  });
});
