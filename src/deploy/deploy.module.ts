import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { CooldownRepository } from './cooldown.repository';
import { CooldownDocument, CooldownSchema } from './cooldown.schema';
import { DeployCommands } from './deploy.commands';
import { DeploymentMessages } from './deploy.messages';
import { DeployService } from './deploy.service';
import { DeploymentMetrics } from './deployment.metrics';
import { DeploymentStoreModule } from './deployment-store.module';
import { DispatchService } from './dispatch.service';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: CooldownDocument.name, schema: CooldownSchema }]),
    DeploymentStoreModule,
    AccessModule,
    GithubModule,
    ServiceRegistryModule,
  ],
  providers: [
    CooldownRepository,
    DeployService,
    DispatchService,
    DeployCommands,
    DeploymentMessages,
    DeploymentMetrics,
  ],
  exports: [DeployService, DispatchService, DeploymentStoreModule],
})
export class DeployModule {}
