import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';

/** The deployments collection and its change events, shared by the features that move deployments. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: DeploymentDocument.name, schema: DeploymentSchema }]),
  ],
  providers: [DeploymentRepository, DeploymentEvents],
  exports: [DeploymentRepository, DeploymentEvents],
})
export class DeploymentStoreModule {}
