import { Logger } from '@nestjs/common';

/**
 * The driver's connection, as far as this guard reads it (`mongodb/lib/cmap/connection`, not part
 * of the driver's public API: the guard checks that it is there and stays out otherwise).
 */
interface DriverConnection {
  closed: boolean;
  socket?: { destroyed: boolean };
  onClose(): void;
  throwIfAborted(): void;
}

/** The driver versions whose connection this guard was written against (read, and reproduced). */
const GUARDED_VERSIONS = /^7\.(8|9)\./;

let installed = false;

/**
 * Closes the MongoDB driver's race on a dying socket: a command sent on a connection whose socket
 * the server has just closed (destroyed, its 'close' event not yet emitted) never settles, because
 * a destroyed socket fires no timeout and the connection learns of the close only after the
 * command has begun waiting. When that command is the server monitor's heartbeat, the monitor
 * never checks again and the app stays "MongoDB unavailable" after MongoDB is back, until it is
 * restarted; when it is an operation, that operation hangs. The driver checks `throwIfAborted()`
 * before it writes a command and after each reply: there, a destroyed socket now closes the
 * connection as its 'close' event would have, and the command fails at once as a network error
 * (the monitor marks the server unknown and reconnects on its next check).
 *
 * Installed once, for the driver versions it was checked against (7.8, 7.9); any other version is
 * left untouched and said so, for whoever upgrades the driver to look again.
 */
export function guardDriverConnections(): boolean {
  if (installed) return true;
  const logger = new Logger('Database');
  let version: string | undefined;
  let connection: { prototype: DriverConnection } | undefined;
  try {
    version = (require('mongodb/package.json') as { version: string }).version;
    ({ Connection: connection } = require('mongodb/lib/cmap/connection') as {
      Connection: { prototype: DriverConnection };
    });
  } catch {
    connection = undefined;
  }
  const prototype = connection?.prototype;
  if (
    !version ||
    !GUARDED_VERSIONS.test(version) ||
    typeof prototype?.throwIfAborted !== 'function' ||
    typeof prototype.onClose !== 'function'
  ) {
    logger.warn(
      `MongoDB driver ${version ?? '(unknown version)'} is not one the connection guard was checked against; it is not installed`,
    );
    return false;
  }
  const throwIfAborted = prototype.throwIfAborted;
  prototype.throwIfAborted = function guardedThrowIfAborted(this: DriverConnection) {
    if (!this.closed && this.socket?.destroyed) this.onClose();
    throwIfAborted.call(this);
  };
  installed = true;
  return true;
}
