import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment } from './deployment';
import { Stored, toDomain } from './deployment.mapping';
import { DeploymentDocument } from './deployment.schema';

/**
 * Reads of what passed its verification on a target: what promotion takes from there and what
 * a rollback (automatic or not) prefers to put back. Any feature may read.
 */
@Injectable()
export class VerifiedDeployments {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /**
   * The newest verified deployment to the target whose SHA differs from `currentSha`, among those
   * not rolled back over.
   */
  async findLastVerified(
    service: string,
    environment: string,
    currentSha: string,
  ): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({
          service,
          environment,
          status: 'success',
          'verification.state': 'verified',
          sha: { $ne: currentSha },
          supersededBy: { $exists: false },
        })
        .sort({ finishedAt: -1, createdAt: -1 })
        .lean<Stored>(),
    );
  }

  /**
   * The newest deployment of `sha` to the target that passed its verification and was not rolled
   * back over: when its run succeeded (its soak counts from then), or null.
   */
  async verifiedAt(service: string, environment: string, sha: string): Promise<Date | null> {
    const found = await this.deployments
      .findOne(
        {
          service,
          environment,
          sha,
          status: 'success',
          'verification.state': 'verified',
          supersededBy: { $exists: false },
        },
        { finishedAt: 1, createdAt: 1 },
      )
      .sort({ finishedAt: -1 })
      .lean<{ finishedAt?: Date; createdAt: Date }>();
    return found ? (found.finishedAt ?? found.createdAt) : null;
  }

  /** The automatic rollback started after `failedId` failed its verification, if one was. */
  async findAutomaticRollbackOf(failedId: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ 'rollback.of': failedId, 'rollback.automatic': true })
        .lean<Stored>(),
    );
  }
}
