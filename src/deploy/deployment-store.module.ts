import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CooldownRepository } from './cooldown.repository';
import { CooldownDocument, CooldownSchema } from './cooldown.schema';
import { DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentDocument, DeploymentSchema } from './deployment.schema';

/** The deployments (and cooldowns) collections and the change events, shared by the features that move deployments. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: DeploymentDocument.name, schema: DeploymentSchema },
      { name: CooldownDocument.name, schema: CooldownSchema },
    ]),
  ],
  providers: [DeploymentRepository, CooldownRepository, DeploymentEvents],
  exports: [DeploymentRepository, CooldownRepository, DeploymentEvents],
})
export class DeploymentStoreModule {}
