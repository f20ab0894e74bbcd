import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { CapacityError, CooldownError, TargetBusyError } from './admission.errors';
import { CooldownRepository } from './cooldown.repository';

/**
 * Whether a new deploy, rollback or approval may go ahead: a target already busy with a
 * deployment in flight, the member's cooldown, and the cap on deployments in flight. The busy
 * target and the cap are decided for good by the kernel's insert (unique indexes); these are the
 * checks made first, before any GitHub call, and the one place their refusals are worded.
 */
@Injectable()
export class AdmissionGuards {
  constructor(
    private readonly config: AppConfig,
    private readonly history: DeploymentHistory,
    private readonly cooldowns: CooldownRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Refuses a target that has a deployment in flight, then takes the member's cooldown. Returns
   * the function that gives the cooldown back, for a later refusal.
   */
  async admit(
    memberId: string,
    service: string,
    environment: string,
  ): Promise<() => Promise<void>> {
    await this.refuseBusy(service, environment);
    return this.claimCooldown(memberId);
  }

  /**
   * Takes the member's cooldown (a deploy, or a request put in a queue); the function that gives
   * it back, for a later refusal.
   */
  async claimCooldown(memberId: string): Promise<() => Promise<void>> {
    const now = this.clock.now();
    const cooldownMs = this.config.deploy.cooldownMs;
    // 0 turns the cooldown off: nothing to take (a member's simultaneous deploys are not raced).
    if (cooldownMs === 0) return async () => undefined;
    const cooldown = await this.cooldowns.claim(memberId, now, cooldownMs);
    if (!cooldown.claimed) {
      const left = cooldown.lastAcceptedAt.getTime() + cooldownMs - now.getTime();
      throw new CooldownError(Math.max(1, Math.ceil(left / 1000)));
    }
    return cooldown.release;
  }

  async refuseBusy(service: string, environment: string): Promise<void> {
    const busy = await this.history.findInFlightForTarget(service, environment);
    if (busy) throw new TargetBusyError({ service, environment }, busy);
  }

  /** The refusal for a deployment the kernel could not put in flight: busy target, or the cap. */
  async refusal(
    reason: 'busy' | 'cap',
    target: { service: string; environment: string },
    after?: string,
  ): Promise<Error> {
    if (reason === 'busy') {
      const holder = await this.history.findInFlightForTarget(target.service, target.environment);
      return new TargetBusyError(target, holder, after);
    }
    return new CapacityError(
      this.config.deploy.maxConcurrent,
      await this.history.listInFlight(),
      after,
    );
  }
}
