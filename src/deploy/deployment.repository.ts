import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { IN_FLIGHT_STATUSES } from './deployment';
import { DeploymentDocument } from './deployment.schema';

/** The only code that touches the deployments collection. */
@Injectable()
export class DeploymentRepository {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /** In flight, or waiting for an approval that would put it in flight. */
  async findActiveForService(
    service: string,
  ): Promise<{ id: string; environment: string; status: string } | null> {
    const found = await this.deployments
      .findOne(
        { service, status: { $in: [...IN_FLIGHT_STATUSES, 'pending_approval'] } },
        { environment: 1, status: 1 },
      )
      .lean<{ _id: string; environment: string; status: string }>();
    return found ? { id: found._id, environment: found.environment, status: found.status } : null;
  }
}
