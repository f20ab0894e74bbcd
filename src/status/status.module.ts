import { Module } from '@nestjs/common';
import { DeploymentStoreModule } from '../deploy/deployment-store.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { StatusCommands } from './status.commands';
import { StatusService } from './status.service';

@Module({
  imports: [DeploymentStoreModule, ServiceRegistryModule],
  providers: [StatusService, StatusCommands],
})
export class StatusModule {}
