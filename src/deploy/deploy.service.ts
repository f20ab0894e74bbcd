import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../libs/errors';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import type { Actor } from '../access/actor';
import { AppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GIT_REF } from '../service-registry/service.rules';
import { AdmissionGuards } from './admission';
import {
  AlreadyFinishedError,
  CapacityError,
  NoRunYetError,
  NotLockedError,
  TargetBusyError,
  TargetLockedError,
  UnknownDeploymentError,
} from './deploy.errors';
import { dispatchRefFor } from './dispatch-ref';
import { Deployment, isTerminal } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { TargetLock, TargetLockRepository } from './target-lock.repository';

/** How long the dispatching worker owns a new deployment before the tracker may step in. */
export const DISPATCH_LEASE_MS = 30_000;

export interface PreparedDeploy {
  service: Service;
  environment: string;
  ref: string;
  sha: string;
  /** The target needs approval: the request goes to the approval flow. */
  protected: boolean;
  rollback?: Deployment['rollback'];
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
    private readonly guards: AdmissionGuards,
    private readonly events: DeploymentEvents,
    private readonly locks: TargetLockRepository,
  ) {}

  /**
   * Everything `/deploy` checks before any guard: the service, that it deploys there, the
   * member's rights, an admin's lock on the target, and the ref, resolved to the commit SHA
   * that will be deployed.
   */
  async prepare(actor: Actor, request: DeployRequest): Promise<PreparedDeploy> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(request.service, environment);
    await this.access.requireDeployer(actor, `deploy ${service.name}`, environment);
    await this.ensureNotLocked(service.name, environment);
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

  async ensureNotLocked(service: string, environment: string): Promise<void> {
    const lock = await this.locks.find(service, environment);
    if (lock) throw new TargetLockedError(lock);
  }

  /**
   * An unprotected deploy (or rollback): takes the cooldown, then the target's lock and a
   * concurrency slot with the insert, and records the deployment as dispatching.
   */
  async admit(actor: Actor, prepared: PreparedDeploy): Promise<Deployment> {
    const { service, environment, ref, sha } = prepared;
    const now = new Date();
    const releaseCooldown = await this.guards.admit(actor.id, service.name, environment, now);
    const requester = { id: actor.id, name: actor.name };
    for (let attempt = 0; attempt < 3; attempt++) {
      const deployment: Deployment = {
        id: newDeploymentId(),
        service: service.name,
        environment,
        ref,
        sha,
        requester,
        status: 'dispatching',
        transitions: [{ status: 'dispatching', at: now, by: requester }],
        createdAt: now,
        updatedAt: now,
        dispatchRef: dispatchRefFor(ref, sha, service),
        dispatchRequestedAt: now,
        ...(prepared.rollback ? { rollback: prepared.rollback } : {}),
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
      await releaseCooldown();
      if (outcome.reason === 'locked') {
        const holder = await this.deployments.findInFlightForTarget(service.name, environment);
        throw new TargetBusyError(holder ?? deployment);
      }
      throw new CapacityError(
        this.config.deploy.maxConcurrent,
        await this.deployments.listInFlight(),
      );
    }
    await releaseCooldown();
    throw new Error('could not allocate a deployment id');
  }

  async attachMessage(deploymentId: string, channelId: string, messageId: string): Promise<void> {
    await this.deployments.attachMessage(deploymentId, channelId, messageId);
  }

  /** Admins lock a target: deploys and rollbacks to it are refused, with the reason, until unlocked. */
  async lockTarget(
    actor: Actor,
    serviceName: string,
    environment: string,
    reason: string,
  ): Promise<TargetLock> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(serviceName, env);
    await this.access.requireAdmin(actor, 'lock targets', env);
    const text = reason.trim();
    if (!text) throw new ValidationError('Invalid reason: say why the target is locked.');
    const lock: TargetLock = {
      service: service.name,
      environment: env,
      reason: text.slice(0, 300),
      by: { id: actor.id, name: actor.name },
      at: new Date(),
    };
    const outcome = await this.locks.lock(lock);
    if (!outcome.locked)
      throw new TargetLockedError(outcome.existing, 'Unlock it first to change the reason.');
    return lock;
  }

  async unlockTarget(actor: Actor, serviceName: string, environment: string): Promise<TargetLock> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(serviceName, env);
    await this.access.requireAdmin(actor, 'unlock targets', env);
    const removed = await this.locks.unlock(service.name, env);
    if (!removed) throw new NotLockedError(service.name, env);
    return removed;
  }

  /**
   * `/cancel`: the requester or an admin for the environment. A run in flight is cancelled on
   * GitHub and the deployment follows the run to its real final status.
   */
  async cancelRun(actor: Actor, deployment: Deployment): Promise<'cancel_requested'> {
    await this.requireRequesterOrAdmin(actor, deployment, 'cancel this deployment');
    if (isTerminal(deployment.status)) throw new AlreadyFinishedError(deployment);
    if (!deployment.runId) throw new NoRunYetError(deployment.id);
    const service = await this.registry.get(deployment.service);
    await this.github.cancelRun(service.owner, service.repo, deployment.runId);
    return 'cancel_requested';
  }

  async requireRequesterOrAdmin(
    actor: Actor,
    deployment: Deployment,
    action: string,
  ): Promise<void> {
    if (actor.id === deployment.requester.id) return;
    if (await this.access.isAdmin(actor, deployment.environment)) return;
    throw new AccessDeniedError(
      `Only the requester or an admin for ${deployment.environment} can ${action}.`,
    );
  }

  async find(id: string): Promise<Deployment> {
    const deployment = /^d-[0-9a-f]{6}$/.test(id.trim())
      ? await this.deployments.findById(id.trim())
      : null;
    if (!deployment) throw new UnknownDeploymentError(id);
    return deployment;
  }
}
