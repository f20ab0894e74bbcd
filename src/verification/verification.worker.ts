import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { BackgroundRound } from '../../libs/background-round';
import { Instance } from '../../libs/instance';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { CiChecks } from '../ci-checks/ci-checks.service';
import { Deployment } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentVerifications } from '../deployments/deployment-verifications.service';
import { onBehalfOfTheBot } from '../github/member-context';
import { AutomaticRollbacks } from './automatic-rollbacks.service';
import { HealthProbe } from './health-probe';
import { afterProbe, probeResult } from './verification.rules';
import { VerificationNotices } from './verification-notices';

/** How often the loop looks for work; a probe's own interval is at least a second. */
const TICK_MS = 1_000;
/** At most this many probes at once per instance, and per round. */
const PARALLEL = 4;
const PER_ROUND = 20;
/** How old a read of the check may be at a probe. */
const CHECK_MAX_AGE_MS = 10_000;

/**
 * Runs the verification after each run, from MongoDB state only (a restart, or another instance,
 * goes on where it was): deployments whose run succeeded begin their soak; each probe due is
 * taken under a lease (one instance probes it), made (the URL and/or the check) and recorded in
 * one conditional update that may end the soak; failures due an automatic rollback go to
 * AutomaticRollbacks; the channel is told of each failure once. A newer deployment dispatched to
 * the target stops the soak of the older one.
 */
@Injectable()
export class VerificationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Verification');
  private readonly rounds: BackgroundRound;

  constructor(
    private readonly config: AppConfig,
    private readonly verifications: DeploymentVerifications,
    private readonly history: DeploymentHistory,
    private readonly probe: HealthProbe,
    private readonly ci: CiChecks,
    private readonly rollbacks: AutomaticRollbacks,
    private readonly notices: VerificationNotices,
    private readonly events: DeploymentEvents,
    scheduler: SchedulerRegistry,
    private readonly instance: Instance,
    private readonly clock: Clock,
  ) {
    this.rounds = new BackgroundRound(scheduler, instance, {
      name: 'verification',
      everyMs: TICK_MS,
      work: () => this.work(),
      ready: () => this.verifications.connected(),
      logger: this.logger,
      failure: 'Verification round failed',
    });
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
    // A run that just succeeded, or a failure just recorded, is taken up without waiting a tick.
    this.events.on(['finished', 'verification'], 'verification', () => this.round());
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round of work (shared: a round asked for while one runs is that one). */
  round(): Promise<void> {
    return this.rounds.run();
  }

  private async work(): Promise<void> {
    for (let n = 0; n < PER_ROUND; n++) {
      const begun = await this.verifications.beginNext();
      if (!begun) break;
      await this.stopOlder(begun);
    }
    for (let n = 0; n < PER_ROUND && (await this.verifications.failRunNext()); n++);
    await this.verifications.forgetUnrun();
    for (let n = 0; n < PER_ROUND; n += PARALLEL) {
      const claimed = await Promise.all(Array.from({ length: PARALLEL }, () => this.probeNext()));
      if (!claimed.some(Boolean)) break;
    }
    await this.rollbacks.work();
    await this.notices.work();
  }

  /** A deployment that began its soak replaces what still soaked on its target. */
  private async stopOlder(begun: Deployment): Promise<void> {
    const older = await this.verifications.verifyingOnTarget(
      begun.service,
      begun.environment,
      begun.id,
    );
    for (const deployment of older.filter((d) => d.createdAt < begun.createdAt))
      await this.verifications.stop(
        deployment,
        `${begun.id}, a newer deployment to ${deployment.environment}, succeeded before the soak ended`,
      );
  }

  /** Takes the next probe due and makes it; false when none is due. */
  private async probeNext(): Promise<boolean> {
    if (this.instance.stopping) return false;
    const owner = this.instance.leaseOwner();
    // Long enough for the URL and the check, each bounded by its own timeout.
    const leaseMs = 2 * this.config.verify.probeTimeoutMs + 30_000;
    const deployment = await this.verifications.claimProbe(owner, leaseMs);
    if (!deployment) return false;
    try {
      await this.probeOne(deployment, owner);
    } catch (error) {
      // The lease ends by itself: the probe is made again then.
      this.logger.warn(`Probing ${deployment.id} failed: ${(error as Error).message}`);
    }
    return true;
  }

  private async probeOne(deployment: Deployment, owner: string): Promise<void> {
    const record = deployment.verification!;
    const newer = await this.history.findDispatchedSince(
      deployment.service,
      deployment.environment,
      deployment.createdAt,
    );
    if (newer) {
      await this.verifications.stop(
        deployment,
        `${newer.id}, a newer deployment to ${deployment.environment}, was dispatched before the soak ended`,
      );
      return;
    }
    const { plan } = record;
    const http = plan.url
      ? await this.probe.probe({
          url: plan.url,
          expectStatus: plan.expectStatus,
          bodyContains: plan.bodyContains,
        })
      : undefined;
    const check = plan.check ? await this.readCheck(deployment, plan.check) : undefined;
    const at = this.clock.now();
    const step = afterProbe(record, probeResult(at, http, check), at);
    await this.verifications.recordProbe(deployment.id, owner, step);
  }

  /** The check's verdict on the deployed SHA, read as the bot (never a member's budget). */
  private async readCheck(
    deployment: Deployment,
    check: string,
  ): Promise<{
    name: string;
    verdict: 'passed' | 'pending' | 'failed' | 'unknown';
    detail: string;
  }> {
    const source = deployment.source;
    if (!source) return { name: check, verdict: 'unknown', detail: 'no repository recorded' };
    const soakUntil = deployment.verification?.soakUntil ?? new Date();
    try {
      const judged = await onBehalfOfTheBot(() =>
        this.ci.judge(
          { owner: source.owner, repo: source.repo, sha: deployment.sha },
          { mode: 'required', required: [check] },
          // Not reported yet is pending until the soak ends, then missing (failed).
          { waitUntil: soakUntil, noChecksUntil: soakUntil },
          CHECK_MAX_AGE_MS,
        ),
      );
      const line = judged.checks[0];
      const detail =
        judged.verdict === 'unknown'
          ? `cannot be read (${judged.reason ?? 'GitHub did not answer'})`
          : (line?.detail ?? judged.verdict);
      return { name: check, verdict: judged.verdict, detail };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return { name: check, verdict: 'unknown', detail: `cannot be read (${error.message})` };
    }
  }
}
