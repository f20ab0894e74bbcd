import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CooldownRepository } from './cooldown.repository';
import { CooldownError, TargetBusyError } from './deploy.errors';
import { DeploymentRepository } from './deployment.repository';

/**
 * The guards a new deploy or rollback request passes before any GitHub call, in the same order
 * everywhere: a target with a deployment in flight, then the cooldown.
 */
@Injectable()
export class AdmissionGuards {
  constructor(
    private readonly config: AppConfig,
    private readonly deployments: DeploymentRepository,
    private readonly cooldowns: CooldownRepository,
  ) {}

  /**
   * Refuses a target that has a deployment in flight, then takes the member's cooldown. Returns
   * the function that gives the cooldown back, for a later refusal.
   */
  async admit(
    memberId: string,
    service: string,
    environment: string,
    now: Date,
  ): Promise<() => Promise<void>> {
    const busy = await this.deployments.findInFlightForTarget(service, environment);
    if (busy) throw new TargetBusyError(busy);
    const cooldownMs = this.config.deploy.cooldownMs;
    const cooldown = await this.cooldowns.claim(memberId, now, cooldownMs);
    if (!cooldown.claimed) {
      const left = cooldown.lastAcceptedAt.getTime() + cooldownMs - now.getTime();
      throw new CooldownError(Math.max(1, Math.ceil(left / 1000)));
    }
    return cooldown.release;
  }
}
