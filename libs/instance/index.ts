import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process among the bot's instances: `<hostname>-<pid>-<random>`, unique even when two
 * containers share a hostname and a pid (pid 1 in every container). It is in every log line,
 * in `/ping`, and on every lease this process holds.
 */
export class Instance {
  private leases = 0;
  /** Set the moment a shutdown begins (SIGTERM): from then on the instance claims nothing. */
  stopping = false;

  constructor(
    readonly id: string = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`,
    readonly startedAt: Date = new Date(),
  ) {}

  /**
   * A fresh lease holder's name: the instance id and a sequence number. Two workers of this
   * instance never hold one lease under the same name, so a worker whose lease ran out and was
   * taken by another worker of the same instance cannot renew or finish it.
   */
  leaseOwner(): string {
    return `${this.id}#${++this.leases}`;
  }
}

/** The instance id in a lease owner (`host-12-ab12cd#7` → `host-12-ab12cd`). */
export function instanceOfOwner(owner: string): string {
  return owner.replace(/#\d+$/, '');
}
