import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { DeployModule } from '../deploy/deploy.module';
import { DeploymentStoreModule } from '../deploy/deployment-store.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { RollbackCommands } from './rollback.commands';
import { RollbackService } from './rollback.service';
import { RollbackSupersede } from './rollback.supersede';

@Module({
  imports: [DeployModule, DeploymentStoreModule, AccessModule, ServiceRegistryModule],
  providers: [RollbackService, RollbackCommands, RollbackSupersede],
})
export class RollbackModule {}
