import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { AccessService } from '../access/access.service';
import { AdmissionGuards } from '../admission/admission.guards';
import { AdmittedRequest, admittedRequest } from '../admission/admitted-request';
import type { DeploymentDraft, ScheduleOverride } from '../deployments/deployment';
import { gateOf, Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GIT_REF } from '../service-registry/service.rules';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { LaunchChecks } from '../dispatch/launch-checks';
import { RefResolver } from './ref-resolver';

export interface DeployRequest {
  service: string;
  environment: string;
  ref?: string;
  /** Asked for as a hotfix: recorded on the deployment (rework in the delivery metrics). */
  hotfix?: boolean;
}

function withHotfix(admitted: AdmittedRequest, request: DeployRequest): AdmittedRequest {
  return request.hotfix ? { ...admitted, draft: { ...admitted.draft, hotfix: true } } : admitted;
}

/**
 * The rules of `/deploy`: who may deploy where, which commit, and the guards (an admin's lock,
 * a busy target, the cooldown) that hold across restarts and instances because they live in
 * MongoDB. `/rollback` passes the same target checks.
 */
/** The ref asked for, or the service's default; refused unless it reads as a git ref. */
function refOf(service: Service, asked?: string): string {
  const ref = (asked ?? service.defaultRef).trim();
  if (!GIT_REF.test(ref)) throw new ValidationError('Invalid ref: a branch, tag or commit SHA.');
  return ref;
}

@Injectable()
export class DeployService {
  constructor(
    private readonly access: AccessService,
    private readonly registry: ServiceRegistryService,
    private readonly admission: AdmissionGuards,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
    private readonly refs: RefResolver,
    private readonly checks: LaunchChecks,
  ) {}

  /**
   * Everything `/deploy` checks: the target and the member's rights on it; then, before any
   * GitHub call, a busy target and the cooldown; last the ref, resolved to the commit that will
   * be deployed and checked against the target's allowed refs (each GitHub request is charged
   * to the member's budget as it is made), and against the promotion order: a target with
   * `promoteFrom` takes only a commit that succeeded there. Rollbacks do not come this way.
   */
  async prepare(actor: Actor, request: DeployRequest): Promise<AdmittedRequest> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.checkTarget(actor, request.service, environment, 'deploy');
    const ref = refOf(service, request.ref);
    const release = await this.admission.admit(actor.id, service.name, environment);
    return withHotfix(await this.admitted(service, environment, ref, actor, release), request);
  }

  /**
   * What `/deploy … queue:true` (or "Queue it") checks before a request waits: the target, the
   * member's rights there, their cooldown (taken now, as for a deploy: `release` gives it back if
   * the request does not get into the queue), and that the ref exists and is allowed. Locks,
   * freezes, windows, a busy target and the cap are what it waits for; everything is checked
   * again when it is admitted.
   */
  async prepareToQueue(
    actor: Actor,
    request: DeployRequest,
  ): Promise<{
    service: Service;
    environment: string;
    ref?: string;
    sha: string;
    release: () => Promise<void>;
  }> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(request.service, environment);
    await this.access.requireDeployer(actor, `deploy ${service.name}`, environment);
    const ref = refOf(service, request.ref);
    const release = await this.admission.claimCooldown(actor.id);
    try {
      const { sha } = await this.refs.resolve(service, environment, ref);
      return { service, environment, ...(request.ref ? { ref } : {}), sha, release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * The head of a target's queue, admitted: every rule a new /deploy goes through, with the
   * requester's roles as they are now, except the cooldown (the request was made long ago). The
   * ref is resolved now.
   */
  async prepareQueued(
    actor: Actor,
    request: DeployRequest & { queued: NonNullable<DeploymentDraft['queued']>; channelId: string },
  ): Promise<AdmittedRequest> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.checkTarget(actor, request.service, environment, 'deploy');
    const ref = refOf(service, request.ref);
    await this.admission.refuseBusy(service.name, environment);
    const admitted = await this.admitted(service, environment, ref, actor, async () => undefined);
    return {
      ...admitted,
      draft: {
        ...admitted.draft,
        queued: request.queued,
        channelId: request.channelId,
        ...(request.hotfix ? { hotfix: true } : {}),
      },
    };
  }

  /**
   * An admin's "Deploy anyway" through a freeze or a closed window: every other rule as for
   * /deploy (the requester's cooldown included), and a second admin's approval whatever the
   * target (the request goes to approval).
   */
  async prepareOverride(
    admin: Actor,
    requester: Actor,
    request: DeployRequest,
    override: Omit<ScheduleOverride, 'by' | 'at'> & { at: Date },
  ): Promise<AdmittedRequest> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.checkTarget(requester, request.service, environment, 'deploy', true);
    await this.access.requireAdmin(
      admin,
      'deploy through a freeze or a closed window',
      environment,
    );
    const ref = refOf(service, request.ref);
    const release = await this.admission.admit(requester.id, service.name, environment);
    const admitted = await this.admitted(service, environment, ref, requester, release);
    const scheduleOverride: ScheduleOverride = {
      ...override,
      by: { id: admin.id, name: admin.name },
    };
    return {
      ...withHotfix(admitted, request),
      protected: true,
      draft: { ...withHotfix(admitted, request).draft, scheduleOverride },
    };
  }

  /** The request for the commit `ref` names now, if the promotion order allows it there. */
  private async admitted(
    service: Service,
    environment: string,
    ref: string,
    actor: Actor,
    release: () => Promise<void>,
  ): Promise<AdmittedRequest> {
    try {
      const { sha } = await this.refs.resolve(service, environment, ref);
      const outOfOrder = await this.checks.promotionRefusal(service, environment, sha);
      if (outOfOrder) throw outOfOrder;
      const requester = { id: actor.id, name: actor.name };
      const request = admittedRequest(service, { environment, ref, sha, requester }, release);
      const { mode, required } = gateOf(service, environment);
      return mode === 'off' ? request : { ...request, gate: { mode, required } };
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * The checks every deploy and rollback passes first: the service deploys to that environment,
   * the member may deploy there, and no admin has locked the target; a deploy also needs the
   * target open (no freeze, inside its windows) unless an admin overrides that (`closedOk`).
   * Rollbacks go through freezes and windows: they restore.
   */
  async checkTarget(
    actor: Actor,
    serviceName: string,
    environment: string,
    action: 'deploy' | 'roll back',
    closedOk = false,
  ): Promise<Service> {
    const service = await this.registry.getForEnvironment(serviceName, environment);
    await this.access.requireDeployer(actor, `${action} ${service.name}`, environment);
    await this.locks.refuseLocked(service.name, environment);
    if (action === 'deploy' && !closedOk)
      await this.schedule.refuseClosed(service.name, environment);
    return service;
  }
}
