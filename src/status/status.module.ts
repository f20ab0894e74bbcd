import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { TrackingModule } from '../tracking/tracking.module';
import { StatusCommands } from './status.commands';
import { StatusService } from './status.service';

/** /status and /history: read-only, for anyone in the home server. */
@Module({
  imports: [DeploymentsModule, ServiceRegistryModule, TargetLocksModule, TrackingModule],
  providers: [StatusService, StatusCommands],
})
export class StatusModule {}
