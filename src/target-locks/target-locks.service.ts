import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { AccessService } from '../access/access.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TargetLock, TargetLockRepository } from './target-lock.repository';
import { NotLockedError, TargetLockedError } from './target-locks.errors';

/** Who holds a lock the bot took itself: a name, never a member to mention. */
export const AUTOMATIC = { id: 'bot:automatic', name: 'the deploy bot (automatic)' } as const;

/**
 * Admin freezes: a locked target refuses deploys, rollbacks and the approval that would
 * dispatch, with the reason, until an admin for that environment unlocks it.
 */
@Injectable()
export class TargetLocksService {
  constructor(
    private readonly access: AccessService,
    private readonly registry: ServiceRegistryService,
    private readonly locks: TargetLockRepository,
    private readonly clock: Clock,
  ) {}

  async lock(
    actor: Actor,
    serviceName: string,
    environment: string,
    reason: string,
  ): Promise<TargetLock> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(serviceName, env);
    await this.access.requireAdmin(actor, 'lock targets', env);
    const text = reason.trim();
    if (!text) throw new ValidationError('Invalid reason: say why the target is locked.');
    const lock: TargetLock = {
      service: service.name,
      environment: env,
      reason: text.slice(0, 300),
      by: { id: actor.id, name: actor.name },
      at: this.clock.now(),
    };
    const outcome = await this.locks.lock(lock);
    if (!outcome.locked)
      throw new TargetLockedError(outcome.existing, 'Unlock it first to change the reason.');
    return lock;
  }

  /**
   * The bot's own hold on a target (after an automatic rollback, or when it found nothing to
   * roll back to): a lock like an admin's, lifted the same way with /unlock. The lock already
   * there, when there is one, stays as it is.
   */
  async hold(service: string, environment: string, reason: string): Promise<TargetLock> {
    const lock: TargetLock = {
      service,
      environment,
      reason: reason.slice(0, 300),
      by: { ...AUTOMATIC },
      at: this.clock.now(),
    };
    const outcome = await this.locks.lock(lock);
    return outcome.locked ? lock : outcome.existing;
  }

  async unlock(actor: Actor, serviceName: string, environment: string): Promise<TargetLock> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(serviceName, env);
    await this.access.requireAdmin(actor, 'unlock targets', env);
    const removed = await this.locks.unlock(service.name, env);
    if (!removed) throw new NotLockedError(service.name, env);
    return removed;
  }

  /** Refuses a locked target; `after` says what happens to the request then. */
  async refuseLocked(service: string, environment: string, after?: string): Promise<void> {
    const lock = await this.locks.find(service, environment);
    if (lock) throw new TargetLockedError(lock, after);
  }

  /** The lock on a target, if any. */
  find(service: string, environment: string): Promise<TargetLock | null> {
    return this.locks.find(service, environment);
  }
}
