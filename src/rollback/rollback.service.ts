import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import { AccessService } from '../access/access.service';
import type { Actor } from '../access/actor';
import { AdmissionGuards } from '../deploy/admission';
import { DeployService, PreparedDeploy } from '../deploy/deploy.service';
import { DeploymentHistory } from '../deploy/deployment-history.repository';
import { shortSha } from '../deploy/deploy.views';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { NothingToRollBackError } from './rollback.errors';
import { plainText } from '../../libs/text';

export interface RollbackRequest {
  service: string;
  environment?: string;
  /** A SHA or deployment id that succeeded in that environment. */
  to?: string;
}

/**
 * What `/rollback` puts back: by default the newest successful deployment whose SHA differs from
 * the one deployed now, skipping deployments a rollback has already gone over. It is then a
 * deploy like any other (guards, approvals), dispatched on the default branch with that SHA.
 */
@Injectable()
export class RollbackService {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly access: AccessService,
    private readonly deploys: DeployService,
    private readonly history: DeploymentHistory,
    private readonly guards: AdmissionGuards,
  ) {}

  async plan(actor: Actor, request: RollbackRequest): Promise<PreparedDeploy> {
    const service = await this.registry.get(request.service);
    let environment = request.environment?.trim().toLowerCase();
    if (!environment) {
      const latest = await this.history.findLastSuccessfulOfService(service.name);
      if (!latest)
        throw new NothingToRollBackError(
          `${service.name} has never been deployed successfully: nothing to roll back.`,
        );
      environment = latest.environment;
    }
    await this.registry.getForEnvironment(service.name, environment);
    await this.access.requireDeployer(actor, `roll back ${service.name}`, environment);
    await this.deploys.ensureNotLocked(service.name, environment);
    const current = await this.history.findLastSuccessful(service.name, environment);
    if (!current)
      throw new NothingToRollBackError(
        `Nothing has been deployed successfully to ${environment}: nothing to roll back.`,
      );
    const to = request.to?.trim();
    const target = to
      ? await this.history.findSuccessful(service.name, environment, to)
      : await this.history.findRollbackTarget(service.name, environment, current.sha);
    if (!target) {
      if (to)
        throw new ValidationError(
          `Invalid to: "${plainText(to, 40)}" is not a deployment id or SHA that succeeded in ${environment}.`,
        );
      throw new NothingToRollBackError(
        `No earlier successful deployment to ${environment} with a SHA other than \`${shortSha(current.sha)}\`: nothing to roll back to.`,
      );
    }
    if (target.sha === current.sha) {
      throw new NothingToRollBackError(
        `\`${shortSha(target.sha)}\` is already what ${environment} runs.`,
      );
    }
    const release = await this.guards.admit(actor.id, service.name, environment, new Date());
    return {
      service,
      environment,
      ref: service.defaultRef,
      sha: target.sha,
      protected: service.protectedEnvironments.includes(environment),
      rollback: { of: current.id, ofSha: current.sha, to: target.id },
      release,
    };
  }
}
