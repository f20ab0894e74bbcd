import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { plainText } from '../../libs/text';
import { AdmissionGuards } from '../admission/admission.guards';
import { AdmittedRequest, admittedRequest } from '../admission/admitted-request';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeployService } from '../deploy/deploy.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { verificationOf } from '../service-registry/verification-settings';
import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { NothingToRollBackError } from './rollback.errors';

export interface RollbackRequest {
  service: string;
  environment?: string;
  /** A SHA or deployment id that succeeded in that environment. */
  to?: string;
}

const short = (sha: string) => `\`${sha.slice(0, 7)}\``;

/**
 * What `/rollback` puts back: by default the newest successful deployment whose SHA differs from
 * the one deployed now, skipping deployments a rollback has already gone over; on a target that
 * verifies its deployments, the newest verified one, falling back to one that only succeeded
 * (the message says so). It is then a
 * deploy like any other (the same target checks, guards and approvals), dispatched on the
 * default branch with that SHA.
 */
@Injectable()
export class RollbackService {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly deploys: DeployService,
    private readonly history: DeploymentHistory,
    private readonly admission: AdmissionGuards,
    private readonly verified: VerifiedDeployments,
  ) {}

  async plan(actor: Actor, request: RollbackRequest): Promise<AdmittedRequest> {
    const environment = await this.environmentOf(request);
    const service = await this.deploys.checkTarget(
      actor,
      request.service,
      environment,
      'roll back',
    );
    const current = await this.history.findLastSuccessful(service.name, environment);
    if (!current)
      throw new NothingToRollBackError(
        `Nothing has been deployed successfully to ${environment}: nothing to roll back.`,
      );
    const to = request.to?.trim();
    // Where the target verifies its deployments, the newest verified one comes first.
    const verifies = Boolean(verificationOf(service, environment));
    const target = to
      ? await this.history.findSuccessful(service.name, environment, to)
      : (verifies &&
          (await this.verified.findLastVerified(service.name, environment, current.sha))) ||
        (await this.history.findRollbackTarget(service.name, environment, current.sha));
    if (!target) {
      if (to)
        throw new ValidationError(
          `Invalid to: "${plainText(to, 40)}" is not a deployment id or SHA that succeeded in ${environment}.`,
        );
      throw new NothingToRollBackError(
        `No earlier successful deployment to ${environment} with a SHA other than ${short(current.sha)}: nothing to roll back to.`,
      );
    }
    if (target.sha === current.sha)
      throw new NothingToRollBackError(`${short(target.sha)} is already what ${environment} runs.`);
    const release = await this.admission.admit(actor.id, service.name, environment);
    return admittedRequest(
      service,
      {
        environment,
        ref: service.defaultRef,
        sha: target.sha,
        requester: { id: actor.id, name: actor.name },
        rollback: {
          of: current.id,
          ofSha: current.sha,
          to: target.id,
          ...(verifies && target.verification?.state !== 'verified' ? { unverified: true } : {}),
        },
      },
      release,
    );
  }

  /** The environment asked for, or the one the service last deployed to successfully. */
  private async environmentOf(request: RollbackRequest): Promise<string> {
    const asked = request.environment?.trim().toLowerCase();
    if (asked) return asked;
    const service = await this.registry.get(request.service);
    const latest = await this.history.findLastSuccessfulOfService(service.name);
    if (!latest)
      throw new NothingToRollBackError(
        `${service.name} has never been deployed successfully: nothing to roll back.`,
      );
    return latest.environment;
  }
}
