import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdmissionModule } from '../admission/admission.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeployModule } from '../deploy/deploy.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { QueueAdmitter } from './queue-admitter';
import { QueueCommands } from './queue.commands';
import { QueueComponents } from './queue.components';

/** Each target's queue: admission when the target frees, /queue, and the offers on refusals. */
@Module({
  imports: [
    AdmissionModule,
    DeploymentsModule,
    DeployModule,
    DeployWindowsModule,
    TargetLocksModule,
    AccessModule,
    ServiceRegistryModule,
  ],
  providers: [QueueAdmitter, QueueCommands, QueueComponents],
  exports: [QueueAdmitter],
})
export class DeployQueueModule {}
