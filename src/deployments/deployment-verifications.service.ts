import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Deployment } from './deployment';
import type { AutomaticRollback, VerificationState } from './deployment-details';
import { DeploymentEvents } from './deployment.events';
import {
  DeploymentVerificationRepository,
  ProbeRecord,
} from './deployment-verification.repository';

/**
 * The verification after a deployment's run, the last stage of its life (`waiting` → `verifying`
 * → `verified` | `failed` | `stopped`; see VerificationRecord): the one writer of it, as
 * DeploymentTransitions is of the status. Each change is one atomic update naming the state it
 * expects, and tells everyone with a `verification` event once stored.
 */
@Injectable()
export class DeploymentVerifications {
  constructor(
    private readonly verifications: DeploymentVerificationRepository,
    private readonly events: DeploymentEvents,
    private readonly clock: Clock,
  ) {}

  /** Whether MongoDB is connected now: without it, nothing here is worth trying. */
  connected(): boolean {
    return this.verifications.connected();
  }

  /** The next deployment whose run succeeded begins its soak; null when none waits. */
  async beginNext(): Promise<Deployment | null> {
    return this.told(await this.verifications.beginNext(this.clock.now()), 'waiting');
  }

  /**
   * The next failed run on a target that rolls back failed runs fails its verification, its
   * automatic rollback due; null when none waits. The others that ended without success forget it.
   */
  async failRunNext(): Promise<Deployment | null> {
    return this.told(
      await this.verifications.failRunNext(this.clock.now(), 'its run did not succeed'),
      'waiting',
    );
  }

  forgetUnrun(): Promise<number> {
    return this.verifications.forgetUnrun();
  }

  /** Takes the next probe due for `leaseMs` under `owner`. */
  claimProbe(owner: string, leaseMs: number): Promise<Deployment | null> {
    const now = this.clock.now();
    return this.verifications.claimProbe(now, new Date(now.getTime() + leaseMs), owner);
  }

  /** Records a probe (and the end of the soak it brings) while `owner` holds the probe. */
  async recordProbe(id: string, owner: string, record: ProbeRecord): Promise<Deployment | null> {
    return this.told(
      await this.verifications.recordProbe(id, owner, record, this.clock.now()),
      'verifying',
    );
  }

  /** Stops a verification still waiting or soaking; null when it had ended. */
  async stop(deployment: Deployment, reason: string): Promise<Deployment | null> {
    const from = deployment.verification?.state ?? 'verifying';
    return this.told(await this.verifications.stop(deployment.id, reason, this.clock.now()), from);
  }

  /** Other deployments of the target still waiting or soaking (a newer one replaces them). */
  verifyingOnTarget(service: string, environment: string, except: string): Promise<Deployment[]> {
    return this.verifications.findVerifyingOnTarget(service, environment, except);
  }

  /** Takes the next automatic rollback due for `leaseMs` under `owner`. */
  claimRollback(owner: string, leaseMs: number): Promise<Deployment | null> {
    const now = this.clock.now();
    return this.verifications.claimRollback(now, new Date(now.getTime() + leaseMs), owner);
  }

  /** Records the automatic rollback started (or the target held without one). */
  async settleRollback(
    id: string,
    owner: string,
    rollback: AutomaticRollback,
  ): Promise<Deployment | null> {
    return this.told(
      await this.verifications.settleRollback(id, owner, rollback, this.clock.now()),
      'failed',
    );
  }

  /** Takes the next failure the channel has not been told of, for `leaseMs`. */
  claimNotice(leaseMs: number): Promise<Deployment | null> {
    const now = this.clock.now();
    return this.verifications.claimNotice(now, new Date(now.getTime() + leaseMs));
  }

  noticeSent(id: string): Promise<void> {
    return this.verifications.noticeSent(id);
  }

  private told(deployment: Deployment | null, from: VerificationState): Deployment | null {
    if (deployment) this.events.emit({ type: 'verification', deployment, from });
    return deployment;
  }
}
