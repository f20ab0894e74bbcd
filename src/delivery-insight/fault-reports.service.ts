import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { plainText } from '../../libs/text';
import { AccessService } from '../access/access.service';
import { AppConfig } from '../config/app-config';
import { Deployment } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import type { Actor } from '../../libs/people';

/**
 * "Report faulty" on a deployment's message: a member who may deploy to its target says a
 * deployment that succeeded broke it; the delivery metrics count it as a failed change when the
 * report comes within DORA_FAILURE_WINDOW of its success. Once per deployment.
 */
@Injectable()
export class FaultReportsService {
  constructor(
    private readonly history: DeploymentHistory,
    private readonly transitions: DeploymentTransitions,
    private readonly access: AccessService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async report(actor: Actor, id: string): Promise<Deployment> {
    const deployment = await this.history.findById(id);
    if (!deployment) throw new AppError('FAULT.UNKNOWN', 'That deployment no longer exists.', 404);
    await this.access.requireDeployer(actor, 'report a deployment faulty', deployment.environment);
    const windowMs = this.config.delivery.failureWindowMs;
    const since = new Date(this.clock.now().getTime() - windowMs);
    const reported = await this.transitions.reportFault(
      id,
      { id: actor.id, name: actor.name },
      since,
    );
    if (reported) return reported;
    const now = await this.history.findById(id);
    if (now?.fault)
      throw new AppError(
        'FAULT.REPORTED',
        `${id} was reported faulty already, by ${plainText(now.fault.by.name, 60)}.`,
        409,
      );
    if (now?.rollback)
      throw new AppError(
        'FAULT.ROLLBACK',
        `${id} is a rollback: report the deployment it went back from, or deploy a fix.`,
        409,
      );
    if (now?.status !== 'success')
      throw new AppError('FAULT.NOT_SUCCESS', `${id} did not succeed: nothing to report.`, 409);
    throw new AppError(
      'FAULT.TOO_LATE',
      `${id} succeeded more than ${Math.round(windowMs / 3_600_000)} hours ago: a fault reported now would not count. Roll back or deploy a fix instead.`,
      409,
    );
  }
}
