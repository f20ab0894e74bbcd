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
  RunAlreadyFinishedError,
  TargetBusyError,
  TargetLockedError,
  UnknownDeploymentError,
} from './deploy.errors';
import { Deployment, DeploymentSource, DeploymentStatus, isTerminal } from './deployment';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { RefResolver } from './ref-resolver';
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
  /** Gives the member's cooldown back, for a request refused after it was taken. */
  release: () => Promise<void>;
}

export interface DeployRequest {
  service: string;
  environment: string;
  ref?: string;
}

export function newDeploymentId(): string {
  return `d-${randomBytes(3).toString('hex')}`;
}

export const DEPLOYMENT_ID = /^d-[0-9a-f]{6}$/;

/** What the workflow is dispatched with, copied from the service so a later edit changes nothing. */
export function sourceFor(service: Service, environment: string, sha: string, id: string) {
  const source: DeploymentSource = {
    owner: service.owner,
    repo: service.repo,
    workflow: service.workflow,
    inputs: { [service.environmentInput]: environment, [service.shaInput]: sha },
  };
  if (service.idInput) source.inputs[service.idInput] = id;
  return source;
}

/**
 * A new deployment record for a prepared request, in its first status; `extra` adds what the
 * status needs (the approval state, the changes).
 */
export function newDeployment(
  actor: Actor,
  prepared: Omit<PreparedDeploy, 'release' | 'protected'>,
  status: DeploymentStatus,
  now: Date,
  extra: Partial<Deployment> = {},
): Deployment {
  const id = newDeploymentId();
  const requester = { id: actor.id, name: actor.name };
  return {
    id,
    service: prepared.service.name,
    environment: prepared.environment,
    source: sourceFor(prepared.service, prepared.environment, prepared.sha, id),
    ref: prepared.ref,
    sha: prepared.sha,
    requester,
    status,
    transitions: [{ status, at: now, by: requester }],
    createdAt: now,
    updatedAt: now,
    // The workflow definition always comes from the protected default branch; the commit to
    // deploy travels in the SHA input.
    dispatchRef: prepared.service.defaultRef,
    ...(prepared.rollback ? { rollback: prepared.rollback } : {}),
    ...extra,
  };
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
    private readonly refs: RefResolver,
  ) {}

  /**
   * Everything `/deploy` checks: the service, that it deploys there, the member's rights, an
   * admin's lock on the target; then, before any GitHub call, a busy target and the cooldown;
   * last the ref, resolved to the commit that will be deployed and checked against the target's
   * allowed refs (each GitHub request is charged to the member's budget as it is made).
   */
  async prepare(actor: Actor, request: DeployRequest): Promise<PreparedDeploy> {
    const environment = request.environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(request.service, environment);
    await this.access.requireDeployer(actor, `deploy ${service.name}`, environment);
    await this.ensureNotLocked(service.name, environment);
    const ref = (request.ref ?? service.defaultRef).trim();
    if (!GIT_REF.test(ref)) throw new ValidationError('Invalid ref: a branch, tag or commit SHA.');
    const release = await this.guards.admit(actor.id, service.name, environment, new Date());
    try {
      const resolved = await this.refs.resolve(service, environment, ref);
      return {
        service,
        environment,
        ref,
        sha: resolved.sha,
        protected: service.protectedEnvironments.includes(environment),
        release,
      };
    } catch (error) {
      await release();
      throw error;
    }
  }

  async ensureNotLocked(service: string, environment: string): Promise<void> {
    const lock = await this.locks.find(service, environment);
    if (lock) throw new TargetLockedError(lock);
  }

  /**
   * An unprotected deploy (or rollback): takes the target's lock and a concurrency slot with the
   * insert, and records the deployment as dispatching. A refusal gives the cooldown back.
   */
  async admit(actor: Actor, prepared: PreparedDeploy): Promise<Deployment> {
    const now = new Date();
    const lease = new Date(now.getTime() + DISPATCH_LEASE_MS);
    for (let attempt = 0; attempt < 3; attempt++) {
      const deployment = newDeployment(actor, prepared, 'dispatching', now, {
        dispatchRequestedAt: now,
      });
      const outcome = await this.deployments.insertInFlight(
        deployment,
        this.config.deploy.maxConcurrent,
        { leaseUntil: lease, nextCheckAt: lease },
      );
      if (outcome.inserted) {
        this.events.changed({ deployment });
        return deployment;
      }
      if (outcome.reason === 'id') continue;
      await prepared.release();
      if (outcome.reason === 'locked') {
        const holder = await this.deployments.findInFlightForTarget(
          prepared.service.name,
          prepared.environment,
        );
        throw new TargetBusyError(holder ?? deployment);
      }
      throw new CapacityError(
        this.config.deploy.maxConcurrent,
        await this.deployments.listInFlight(),
      );
    }
    await prepared.release();
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
    const { owner, repo } = deployment.source ?? (await this.registry.get(deployment.service));
    try {
      await this.github.cancelRun(owner, repo, deployment.runId);
    } catch (error) {
      if ((error as { code?: string }).code !== 'GITHUB.RUN_FINISHED') throw error;
      // The run ended while the cancellation was on its way: say how, once it is known.
      const now = await this.find(deployment.id);
      throw isTerminal(now.status)
        ? new AlreadyFinishedError(now)
        : new RunAlreadyFinishedError(now);
    }
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
    const deployment = DEPLOYMENT_ID.test(id.trim())
      ? await this.deployments.findById(id.trim())
      : null;
    if (!deployment) throw new UnknownDeploymentError(id);
    return deployment;
  }
}
