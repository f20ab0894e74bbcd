import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';

/** The deployments collection, shared by the features that read or move deployments. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: DeploymentDocument.name, schema: DeploymentSchema }]),
  ],
  providers: [DeploymentRepository],
  exports: [DeploymentRepository],
})
export class DeploymentStoreModule {}
