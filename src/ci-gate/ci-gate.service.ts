import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError, ValidationError } from '../../libs/errors';
import type { Person } from '../../libs/people';
import { AdmissionGuards } from '../admission/admission.guards';
import type { AdmittedRequest } from '../admission/admitted-request';
import { ApprovalService } from '../approval/approval.service';
import { AppConfig } from '../config/app-config';
import {
  Deployment,
  DEPLOYMENT_ID,
  DeploymentStatus,
  GATED_STATUSES,
  GateRecord,
} from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { CiChecks, TargetGate } from '../ci-checks/ci-checks.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { DISPATCH_LEASE_MS, inMinutes } from '../deployments/deadlines';
import { AppMetrics } from '../metrics/app-metrics';
import { UnknownServiceError } from '../service-registry/service.errors';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { NotAtGateError, TooManyHeldError } from './ci-gate.errors';

export type { TargetGate };

/** A request reads CI afresh, unless another read of the commit is this recent. */
const REQUEST_MAX_AGE_MS = 5_000;

export const OVERRIDE_REASON = { min: 5, max: 300 } as const;

/**
 * The CI gate between a deploy request and its dispatch: reads the commit's check runs and
 * combined status, lets a green commit through, holds a pending one (`awaiting_checks`) until CI
 * finishes, and stops a red one (`checks_failed`), or one whose checks cannot be read: it fails
 * closed. An admin of the environment may deploy anyway with a reason; a protected target still
 * needs its approvals after that. Rollbacks do not pass here: their commit passed when it was
 * first deployed.
 */
@Injectable()
export class CiGateService {
  private readonly logger = new Logger('CiGate');

  constructor(
    private readonly config: AppConfig,
    private readonly ci: CiChecks,
    private readonly transitions: DeploymentTransitions,
    private readonly history: DeploymentHistory,
    private readonly approvals: ApprovalService,
    private readonly dispatcher: DispatchService,
    private readonly admission: AdmissionGuards,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
    private readonly registry: ServiceRegistryService,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
  ) {}

  /**
   * A request whose commit CI has not passed (yet) is recorded at the gate; null when it passed
   * and the caller goes on as without a gate (with `gate` to record).
   */
  async hold(
    request: AdmittedRequest,
    gate: TargetGate,
  ): Promise<{ held: Deployment } | { passed: GateRecord }> {
    const { draft } = request;
    const now = this.clock.now().getTime();
    const judged = await this.ci.judge(
      { owner: draft.workflow.owner, repo: draft.workflow.repo, sha: draft.sha },
      gate,
      {
        waitUntil: new Date(now + this.config.ciGate.waitMs),
        noChecksUntil: new Date(now + this.config.ciGate.noChecksGraceMs),
      },
      REQUEST_MAX_AGE_MS,
    );
    if (judged.verdict === 'passed') {
      this.count(draft.environment, 'passed');
      return { passed: judged };
    }
    const waiting = judged.verdict === 'pending';
    this.count(draft.environment, waiting ? 'waited' : 'refused');
    const opened = await this.transitions.openGated(
      draft,
      waiting ? 'awaiting_checks' : 'checks_failed',
      waiting ? { ...judged, nextCheckAt: this.nextCheck() } : judged,
      this.config.ciGate.heldPerMember,
    );
    if ('deployment' in opened) return { held: opened.deployment };
    await request.release();
    const holding = await this.history.findHeldBy(
      draft.requester.id,
      this.config.ciGate.heldPerMember,
    );
    throw new TooManyHeldError(this.config.ciGate.heldPerMember, holding);
  }

  /**
   * One due request waiting for CI, read again: passed → on to approval or dispatch; failed →
   * `checks_failed`; still pending → the message shows the count. False when none was due.
   */
  async checkNextDue(): Promise<boolean> {
    const due = await this.transitions.claimGateCheck(this.config.deploy.pollIntervalMs);
    if (!due?.gate) return false;
    const gate = due.gate;
    const source = due.source ?? { owner: '', repo: '' };
    const judged = await this.ci.judge(
      { owner: source.owner, repo: source.repo, sha: due.sha },
      // The names the gate was opened with are the ones it judges by until the request ends.
      { mode: gate.mode, required: gate.required ?? [] },
      { waitUntil: gate.waitUntil, noChecksUntil: gate.noChecksUntil },
      // However many requests wait on one commit: one read of it per interval.
      this.config.deploy.pollIntervalMs,
    );
    if (judged.verdict === 'passed') {
      this.count(due.environment, 'passed');
      await this.goOn(due, judged, { quietWhenHeld: true });
    } else if (judged.verdict === 'pending' || judged.verdict === 'unknown') {
      // A passing GitHub error does not end a request that waits anyway: it is read again.
      const changed = judged.pending !== gate.pending || judged.total !== gate.total;
      await this.transitions.updateGate(
        due.id,
        { ...judged, nextCheckAt: this.nextCheck() },
        { quiet: !changed },
      );
    } else {
      this.count(due.environment, 'refused');
      await this.transitions.move(due.id, 'checks_failed', {
        from: ['awaiting_checks'],
        set: { gate: judged },
      });
    }
    return true;
  }

  /** Requests whose time at the gate is over end as `expired`: nothing was dispatched. */
  async expireDue(): Promise<void> {
    for (const deployment of await this.history.findGateExpired(this.clock.now())) {
      const note =
        deployment.status === 'awaiting_checks'
          ? `CI did not finish within ${inMinutes(this.config.ciGate.waitMs)}`
          : 'nobody deployed it anyway in time';
      const moved = await this.transitions.move(deployment.id, 'expired', {
        from: [deployment.status],
        note,
      });
      if (moved) this.count(deployment.environment, 'expired');
    }
  }

  /**
   * Past the gate: a protected target opens its approval request; any other goes in flight and
   * is dispatched. A busy target or a full cap keeps a passed request waiting (it tries again at
   * its next check) and refuses an override with the reason.
   */
  async goOn(
    deployment: Deployment,
    gate: GateRecord,
    options: { by?: Person; note?: string; quietWhenHeld?: boolean },
  ): Promise<Deployment> {
    // An admin's lock, a freeze or a closed window that came while the request waited holds it
    // too (an admin's override of the schedule goes through what closed the target when it was
    // made, to its approval; a freeze or a deny window made since stops it).
    try {
      await this.locks.refuseLocked(deployment.service, deployment.environment);
      if (!deployment.rollback)
        await this.schedule.refuseClosed(
          deployment.service,
          deployment.environment,
          undefined,
          deployment.scheduleOverride,
        );
    } catch (error) {
      if (!(error instanceof AppError) || !options.quietWhenHeld) throw error;
      return this.holdBack(deployment, gate, error.message);
    }
    // A newer request for the target went out while this one waited: going on now would put an
    // older commit over it. The watcher ends it instead; an admin's override still may send it.
    if (options.quietWhenHeld) {
      const newer = await this.history.findDispatchedSince(
        deployment.service,
        deployment.environment,
        deployment.createdAt,
      );
      if (newer) {
        const ended = await this.transitions.move(deployment.id, 'expired', {
          from: ['awaiting_checks'],
          note: `a newer deployment (${newer.id}) went to ${deployment.environment} while it waited`,
        });
        if (ended) this.count(deployment.environment, 'expired');
        return ended ?? deployment;
      }
    }
    // The watcher's pass goes on only from `awaiting_checks`: a later read that refused it meanwhile
    // (another instance) wins. An override leaves from either held status.
    const from: DeploymentStatus[] = options.quietWhenHeld ? ['awaiting_checks'] : GATED_STATUSES;
    const protectedTarget = await this.isProtected(deployment);
    if (protectedTarget) {
      const opened = await this.approvals.openAfterGate(
        deployment,
        gate,
        options.by,
        options.note,
        from,
      );
      if (!opened) throw new NotAtGateError(await this.findAny(deployment.id));
      return opened;
    }
    const started = await this.transitions.leaveGateForFlight(deployment.id, gate, {
      maxConcurrent: this.config.deploy.maxConcurrent,
      leaseMs: DISPATCH_LEASE_MS,
      by: options.by,
      note: options.note,
      from,
    });
    if ('deployment' in started) {
      // The record is in flight: a failed dispatch is the dispatcher's to report and retry.
      void this.dispatcher
        .dispatch(started.deployment, started.leaseOwner)
        .catch((error: Error) =>
          this.logger.warn(`Dispatching ${deployment.id}: ${error.message}`),
        );
      return started.deployment;
    }
    if (started.refused === 'raced') throw new NotAtGateError(await this.findAny(deployment.id));
    const refusal = await this.admission.refusal(started.refused, deployment);
    if (options.quietWhenHeld) return this.holdBack(deployment, gate, refusal.message);
    throw refusal;
  }

  /** CI passed but the target cannot take it yet (`why`): it waits and tries at its next check. */
  private async holdBack(deployment: Deployment, gate: GateRecord, why: string) {
    await this.transitions.updateGate(deployment.id, {
      ...gate,
      heldBy: why,
      nextCheckAt: this.nextCheck(),
    });
    return deployment;
  }

  /** Whether the target needs approvals now; a service removed meanwhile is treated as if so. */
  private async isProtected(deployment: Deployment): Promise<boolean> {
    // An override of a freeze or a window waits for a second admin whatever the target.
    if (deployment.scheduleOverride) return true;
    try {
      const service = await this.registry.get(deployment.service);
      return service.protectedEnvironments.includes(deployment.environment);
    } catch (error) {
      if (error instanceof UnknownServiceError) return true;
      throw error;
    }
  }

  private nextCheck(): Date {
    return new Date(this.clock.now().getTime() + this.config.deploy.pollIntervalMs);
  }

  count(environment: string, outcome: string): void {
    this.metrics.ciGate.inc({ environment, outcome });
  }

  async findAny(id: string): Promise<Deployment> {
    const trimmed = id.trim();
    const deployment = DEPLOYMENT_ID.test(trimmed) ? await this.history.findById(trimmed) : null;
    if (!deployment) throw new ValidationError(`Unknown deployment ${id.slice(0, 20)}.`);
    return deployment;
  }
}
