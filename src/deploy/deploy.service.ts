import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../libs/errors';
import { AccessService } from '../access/access.service';
import type { Actor } from '../access/actor';
import { AppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GIT_REF } from '../service-registry/service.rules';
import { CooldownRepository } from './cooldown.repository';
import { CapacityError, CooldownError, TargetBusyError } from './deploy.errors';
import { dispatchRefFor } from './dispatch-ref';
import { Deployment } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';

/** How long the dispatching worker owns a new deployment before the tracker may step in. */
export const DISPATCH_LEASE_MS = 30_000;

export interface PreparedDeploy {
  service: Service;
  environment: string;
  ref: string;
  sha: string;
  /** The target needs approval: the request goes to the approval flow. */
  protected: boolean;
}

export interface DeployRequest {
  service: string;
  environment: string;
  ref?: string;
}

export function newDeploymentId(): string {
  return `d-${randomBytes(3).toString('hex')}`;
}

/**
 * The rules of `/deploy`: who may deploy where, which commit, and the guards (cooldown, per-target
 * lock, global cap) that hold across restarts and instances because they live in MongoDB.
 */
@Injectable()
export class DeployService {
  constructor(
    private readonly config: AppConfig,
    private readonly access: AccessService,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly deployments: DeploymentRepository,
    private readonly cooldowns: CooldownRepository,
    private readonly events: DeploymentEvents,
  ) {}

  /**
   * Everything `/deploy` checks before any guard: the service, that it deploys there, the
   * member's rights, and the ref, resolved to the commit SHA that will be deployed.
   */
  async prepare(actor: Actor, request: DeployRequest): Promise<PreparedDeploy> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(request.service, environment);
    await this.access.requireDeployer(actor, `deploy ${service.name}`, environment);
    const ref = (request.ref ?? service.defaultRef).trim();
    if (!GIT_REF.test(ref)) throw new ValidationError('Invalid ref: a branch, tag or commit SHA.');
    const { sha } = await this.github.resolveRef(service.owner, service.repo, ref);
    return {
      service,
      environment,
      ref,
      sha,
      protected: service.protectedEnvironments.includes(environment),
    };
  }

  /** Refusals that hold for a request too: what is in flight for the target, and the cap. */
  async checkTargetIsFree(service: string, environment: string): Promise<void> {
    const busy = await this.deployments.findInFlightForTarget(service, environment);
    if (busy) throw new TargetBusyError(busy);
    const inFlight = await this.deployments.listInFlight();
    if (inFlight.length >= this.config.deploy.maxConcurrent) {
      throw new CapacityError(this.config.deploy.maxConcurrent, inFlight);
    }
  }

  /**
   * An unprotected deploy: takes the cooldown, then the target's lock and a concurrency slot
   * with the insert, and records the deployment as dispatching.
   */
  async admit(actor: Actor, prepared: PreparedDeploy): Promise<Deployment> {
    return this.admitTo(actor, prepared.service, prepared.environment, prepared.ref, prepared.sha);
  }

  async attachMessage(deploymentId: string, channelId: string, messageId: string): Promise<void> {
    await this.deployments.attachMessage(deploymentId, channelId, messageId);
  }

  private async admitTo(
    actor: Actor,
    service: Service,
    environment: string,
    ref: string,
    sha: string,
  ): Promise<Deployment> {
    const busy = await this.deployments.findInFlightForTarget(service.name, environment);
    if (busy) throw new TargetBusyError(busy);
    const now = new Date();
    const cooldown = await this.cooldowns.claim(actor.id, now, this.config.deploy.cooldownMs);
    if (!cooldown.claimed) {
      const left =
        cooldown.lastAcceptedAt.getTime() + this.config.deploy.cooldownMs - now.getTime();
      throw new CooldownError(Math.max(1, Math.ceil(left / 1000)));
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const deployment: Deployment = {
        id: newDeploymentId(),
        service: service.name,
        environment,
        ref,
        sha,
        requester: { id: actor.id, name: actor.name },
        status: 'dispatching',
        transitions: [{ status: 'dispatching', at: now, by: { id: actor.id, name: actor.name } }],
        createdAt: now,
        updatedAt: now,
        dispatchRef: dispatchRefFor(ref, sha, service),
        dispatchRequestedAt: now,
      };
      const lease = new Date(now.getTime() + DISPATCH_LEASE_MS);
      const outcome = await this.deployments.insertInFlight(
        deployment,
        this.config.deploy.maxConcurrent,
        {
          leaseUntil: lease,
          nextCheckAt: lease,
        },
      );
      if (outcome.inserted) {
        this.events.changed({ deployment });
        return deployment;
      }
      if (outcome.reason === 'id') continue;
      await cooldown.release();
      if (outcome.reason === 'locked') {
        const holder = await this.deployments.findInFlightForTarget(service.name, environment);
        throw new TargetBusyError(holder ?? { ...deployment, status: 'dispatching' });
      }
      throw new CapacityError(
        this.config.deploy.maxConcurrent,
        await this.deployments.listInFlight(),
      );
    }
    await cooldown.release();
    throw new Error('could not allocate a deployment id');
  }
}
