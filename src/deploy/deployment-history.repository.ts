import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Deployment } from './deployment';
import { DeploymentDocument } from './deployment.schema';
import { Stored, toDomain } from './deployment.mapping';

/** Reads of what happened: what runs where, the history, and what a rollback can go back to. */
@Injectable()
export class DeploymentHistory {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /**
   * The newest successful deployment to the target whose SHA differs from `currentSha`, among
   * those not rolled back over: what a rollback puts back.
   */
  async findRollbackTarget(
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
          sha: { $ne: currentSha },
          supersededBy: { $exists: false },
        })
        .sort({ finishedAt: -1, createdAt: -1 })
        .lean<Stored>(),
    );
  }

  async findSuccessful(
    service: string,
    environment: string,
    idOrSha: string,
  ): Promise<Deployment | null> {
    const value = idOrSha.trim().toLowerCase();
    const match = /^d-[0-9a-f]{6}$/.test(value)
      ? { _id: value }
      : /^[0-9a-f]{7,40}$/.test(value)
        ? { sha: { $regex: `^${value}` } }
        : null;
    if (!match) return null;
    return toDomain(
      await this.deployments
        .findOne({ service, environment, status: 'success', ...match })
        .sort({ finishedAt: -1 })
        .lean<Stored>(),
    );
  }

  async listHistory(
    service: string,
    environment: string | undefined,
    limit: number,
  ): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ service, ...(environment ? { environment } : {}) }, { deliveryIds: 0 })
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  async listPendingForTarget(service: string, environment: string): Promise<Deployment[]> {
    const docs = await this.deployments
      .find({ service, environment, status: 'pending_approval' })
      .sort({ createdAt: 1 })
      .lean<Stored[]>();
    return docs.map((doc) => toDomain(doc)!);
  }

  async findLastSuccessfulOfService(service: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ service, status: 'success' })
        .sort({ finishedAt: -1 })
        .lean<Stored>(),
    );
  }

  async findLastSuccessful(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ service, environment, status: 'success' })
        .sort({ finishedAt: -1, createdAt: -1 })
        .lean<Stored>(),
    );
  }
}
