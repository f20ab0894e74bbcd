import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { DeployModule } from '../deploy/deploy.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { RollbackCommands } from './rollback.commands';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { RollbackService } from './rollback.service';
import { RollbackSupersedeListener } from './rollback-supersede.listener';

/** /rollback, and marking what a successful rollback went over. */
@Module({
  imports: [
    DeployModule,
    DeploymentsModule,
    AdmissionModule,
    ServiceRegistryModule,
    DeployWindowsModule,
  ],
  providers: [RollbackService, RollbackCommands, RollbackSupersedeListener],
})
export class RollbackModule {}
