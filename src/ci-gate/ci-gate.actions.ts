import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { ValidationError } from '../../libs/errors';
import type { Actor, Person } from '../../libs/people';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import { Deployment, GATED_STATUSES, GateRecord } from '../deployments/deployment';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { NotAtGateError } from './ci-gate.errors';
import { CiGateService, OVERRIDE_REASON } from './ci-gate.service';

/**
 * What people do to a request the CI gate holds: an admin deploys it anyway, with a reason;
 * the requester or an admin cancels it. Who may is checked here, from their roles now.
 */
@Injectable()
export class CiGateActions {
  constructor(
    private readonly gate: CiGateService,
    private readonly access: AccessService,
    private readonly transitions: DeploymentTransitions,
    private readonly clock: Clock,
  ) {}

  /**
   * "Deploy anyway": an admin for the environment, with a reason, sends a request the gate holds
   * on, recording who, why and which checks were not passing. A protected target goes to its
   * approvals; any other is put in flight and dispatched.
   */
  async override(actor: Actor, id: string, reason: string): Promise<Deployment> {
    const deployment = await this.requireOverrider(actor, id);
    const why = reason.trim();
    if (why.length < OVERRIDE_REASON.min || why.length > OVERRIDE_REASON.max)
      throw new ValidationError(
        `Give a reason of ${OVERRIDE_REASON.min} to ${OVERRIDE_REASON.max} characters: it is recorded and shown.`,
      );
    const by: Person = { id: actor.id, name: actor.name };
    const gate = deployment.gate!;
    const overridden: GateRecord = {
      ...gate,
      nextCheckAt: undefined,
      heldBy: undefined,
      override: { by, at: this.clock.now(), reason: why, checks: gate.checks },
    };
    const moved = await this.gate.goOn(deployment, overridden, { by, note: 'CI gate overridden' });
    this.gate.count(deployment.environment, 'overridden');
    return moved;
  }

  /**
   * Only an admin for the environment may override: checked before the reason is asked for,
   * and again when it is given. Returns the request held at the gate.
   */
  async requireOverrider(actor: Actor, id: string): Promise<Deployment> {
    const deployment = await this.findAtGate(id);
    if (!(await this.access.isAdmin(actor, deployment.environment)))
      throw new AccessDeniedError(
        `Only admins for ${deployment.environment} can deploy past the CI gate.`,
      );
    return deployment;
  }

  /** The requester or an admin for the environment cancels a request held at the gate. */
  async cancel(actor: Actor, id: string): Promise<Deployment> {
    const deployment = await this.findAtGate(id);
    const isRequester = actor.id === deployment.requester.id;
    if (!isRequester && !(await this.access.isAdmin(actor, deployment.environment)))
      throw new AccessDeniedError(
        `Only the requester or an admin for ${deployment.environment} can cancel this request.`,
      );
    const cancelled = await this.transitions.move(deployment.id, 'rejected', {
      from: GATED_STATUSES,
      by: { id: actor.id, name: actor.name },
      note: 'cancelled at the CI gate',
    });
    if (!cancelled) throw new NotAtGateError(await this.gate.findAny(id));
    return cancelled;
  }

  private async findAtGate(id: string): Promise<Deployment> {
    const deployment = await this.gate.findAny(id);
    if (!GATED_STATUSES.includes(deployment.status) || !deployment.gate)
      throw new NotAtGateError(deployment);
    if (deployment.gate.waitUntil <= this.clock.now()) throw new NotAtGateError(deployment);
    return deployment;
  }
}
