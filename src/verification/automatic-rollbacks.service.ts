import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { Instance } from '../../libs/instance';
import { isDuplicateKey } from '../../libs/mongo-errors';
import { admittedRequest } from '../admission/admitted-request';
import { AuditRepository } from '../audit/audit.repository';
import { AppConfig } from '../config/app-config';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { Deployment } from '../deployments/deployment';
import type { AutomaticRollback } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentVerifications } from '../deployments/deployment-verifications.service';
import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { channelOf } from '../service-registry/service';
import { UnknownServiceError } from '../service-registry/service.errors';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { AUTOMATIC, TargetLocksService } from '../target-locks/target-locks.service';

/** Long enough to hold the target, start the rollback and send its dispatch. */
const LEASE_MS = 60_000;
const PER_ROUND = 10;
/** Tries at starting a rollback (one a lease apart) before the target is held without it. */
const MAX_ATTEMPTS = 5;

/**
 * The automatic rollback after a failed verification, once per failure however many instances
 * try: each one due is taken under a lease; the rollback deployment names the failed one under a
 * unique index (`rollback.of` of an automatic rollback), so a second attempt finds the first
 * instead of starting another. It goes to the newest verified deployment of the target, without
 * approval (it restores what passed verification there); once it is in flight the target is held
 * ("held after the automatic rollback of d-…") until an admin unlocks, and the hold lets only
 * that rollback through. Nothing verified to go back to, a rollback GitHub refused, or one that
 * could not start in MAX_ATTEMPTS tries: the target is held and the admins are told. A rollback
 * that fails its verification is never rolled back in turn: the target is held.
 */
@Injectable()
export class AutomaticRollbacks {
  private readonly logger = new Logger('AutomaticRollback');

  constructor(
    private readonly config: AppConfig,
    private readonly verifications: DeploymentVerifications,
    private readonly verified: VerifiedDeployments,
    private readonly history: DeploymentHistory,
    private readonly registry: ServiceRegistryService,
    private readonly locks: TargetLocksService,
    private readonly launcher: DeploymentLauncher,
    private readonly instance: Instance,
    private readonly clock: Clock,
    private readonly audit: AuditRepository,
  ) {}

  /** Works off the automatic rollbacks due, a few per round. */
  async work(): Promise<void> {
    for (let n = 0; n < PER_ROUND && !this.instance.stopping; n++) {
      const owner = this.instance.leaseOwner();
      const failed = await this.verifications.claimRollback(owner, LEASE_MS);
      if (!failed) return;
      try {
        await this.rollBack(failed, owner);
      } catch (error) {
        // Still due: tried again once the lease ends (a busy target, GitHub or MongoDB away).
        const text = error instanceof AppError ? error.message : (error as Error).message;
        this.logger.warn(`Automatic rollback after ${failed.id} not started yet: ${text}`);
      }
    }
  }

  private async rollBack(failed: Deployment, owner: string): Promise<void> {
    const why = failed.verification?.rollback?.reason ?? 'its verification failed';
    const { service, environment } = failed;
    const settle = async (rollback: Omit<AutomaticRollback, 'at'>) => {
      const settled = await this.verifications.settleRollback(failed.id, owner, {
        ...rollback,
        at: this.clock.now(),
      });
      // Audited once, by the holder whose update recorded it.
      if (settled) await this.audited(failed, rollback);
      return settled;
    };
    const hold = async (reason: string) => {
      await this.locks.hold(service, environment, reason);
      await settle({ state: 'held', reason });
    };

    if (failed.rollback)
      return hold(
        `held: ${failed.id}, itself a rollback, failed its verification (${why}); a rollback is never rolled back automatically`,
      );
    const started = await this.verified.findAutomaticRollbackOf(failed.id);
    if (started) return this.holdAndSettle(failed, started, why, settle);
    const newer = await this.history.findDispatchedSince(service, environment, failed.createdAt);
    if (newer)
      return void (await settle({
        state: 'skipped',
        reason: `not rolled back: ${newer.id} was deployed to ${environment} since`,
      }));
    const lock = await this.locks.find(service, environment);
    if (lock && lock.by.id !== AUTOMATIC.id)
      return void (await settle({
        state: 'held',
        reason: `not rolled back: ${service} → ${environment} is locked by ${lock.by.name} (${lock.reason})`,
      }));
    if ((failed.verification?.rollback?.attempts ?? 1) > MAX_ATTEMPTS)
      return hold(
        `held after ${failed.id} failed its verification (${why}): its rollback could not be started after ${MAX_ATTEMPTS} tries`,
      );
    const to = await this.verified.findLastVerified(service, environment, failed.sha);
    if (!to)
      return hold(
        `held after ${failed.id} failed its verification (${why}): no verified deployment to roll back to`,
      );
    let registered;
    try {
      registered = await this.registry.get(service);
    } catch (error) {
      if (error instanceof UnknownServiceError)
        return void (await settle({
          state: 'held',
          reason: `not rolled back: ${service} was removed`,
        }));
      throw error;
    }
    const request = admittedRequest(
      registered,
      {
        environment,
        ref: registered.defaultRef,
        sha: to.sha,
        requester: { ...AUTOMATIC },
        rollback: { of: failed.id, ofSha: failed.sha, to: to.id, automatic: true },
      },
      async () => undefined,
    );
    // The target's channel, else where the failed deployment's message is.
    request.draft.channelId =
      channelOf(registered, environment, this.config.discord.deployChannelId) ?? failed.channelId;
    let rollback: Deployment;
    try {
      // It restores what passed verification there: no approval, whatever the target. In flight,
      // it makes the target busy: nothing else goes there until the hold below.
      rollback = await this.launcher.launch({ ...request, protected: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const first = await this.verified.findAutomaticRollbackOf(failed.id);
      if (!first) throw error;
      rollback = first;
    }
    this.logger.log(
      `${failed.id} failed its verification: rolled back automatically as ${rollback.id}`,
    );
    await this.holdAndSettle(failed, rollback, why, settle);
  }

  /** The audit log's entry of what the bot did, as `automatic rollback` by the bot itself. */
  private async audited(failed: Deployment, rollback: Omit<AutomaticRollback, 'at'>) {
    try {
      await this.audit.record({
        at: this.clock.now(),
        actor: { ...AUTOMATIC },
        command: 'automatic rollback',
        options: {
          service: failed.service,
          env: failed.environment,
          failed: failed.id,
          outcome: rollback.state,
          ...(rollback.deploymentId ? { rollback: rollback.deploymentId } : {}),
          ...(rollback.toId ? { to: rollback.toId } : {}),
        },
        outcome: rollback.state === 'started' ? 'ok' : 'refused',
        message: rollback.reason.slice(0, 500),
        durationMs: 0,
      });
    } catch (error) {
      this.logger.warn(
        `Auditing the automatic rollback of ${failed.id}: ${(error as Error).message}`,
      );
    }
  }

  private async holdAndSettle(
    failed: Deployment,
    rollback: Deployment,
    why: string,
    settle: (rollback: Omit<AutomaticRollback, 'at'>) => Promise<unknown>,
  ): Promise<void> {
    if (rollback.status === 'dispatch_failed') {
      const reason = `held after ${failed.id} failed its verification (${why}): its rollback ${rollback.id} was not dispatched (${rollback.failureReason ?? 'GitHub refused it'})`;
      await this.locks.hold(failed.service, failed.environment, reason);
      await settle({ state: 'held', reason, deploymentId: rollback.id });
      return;
    }
    await this.locks.hold(
      failed.service,
      failed.environment,
      `held after the automatic rollback of ${failed.id}: ${why}`,
    );
    await settle({
      state: 'started',
      reason: why,
      deploymentId: rollback.id,
      toId: rollback.rollback?.to,
      toSha: rollback.sha,
    });
  }
}
