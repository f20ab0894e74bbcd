import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { AccessService } from '../access/access.service';
import { AdmissionGuards } from '../admission/admission.guards';
import { AdmittedRequest, admittedRequest } from '../admission/admitted-request';
import { gateOf, Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GIT_REF } from '../service-registry/service.rules';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { LaunchChecks } from '../dispatch/launch-checks';
import { RefResolver } from './ref-resolver';

export interface DeployRequest {
  service: string;
  environment: string;
  ref?: string;
}

/**
 * The rules of `/deploy`: who may deploy where, which commit, and the guards (an admin's lock,
 * a busy target, the cooldown) that hold across restarts and instances because they live in
 * MongoDB. `/rollback` passes the same target checks.
 */
@Injectable()
export class DeployService {
  constructor(
    private readonly access: AccessService,
    private readonly registry: ServiceRegistryService,
    private readonly admission: AdmissionGuards,
    private readonly locks: TargetLocksService,
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
    const ref = (request.ref ?? service.defaultRef).trim();
    if (!GIT_REF.test(ref)) throw new ValidationError('Invalid ref: a branch, tag or commit SHA.');
    const release = await this.admission.admit(actor.id, service.name, environment);
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
   * the member may deploy there, and no admin has locked the target.
   */
  async checkTarget(
    actor: Actor,
    serviceName: string,
    environment: string,
    action: 'deploy' | 'roll back',
  ): Promise<Service> {
    const service = await this.registry.getForEnvironment(serviceName, environment);
    await this.access.requireDeployer(actor, `${action} ${service.name}`, environment);
    await this.locks.refuseLocked(service.name, environment);
    return service;
  }
}
