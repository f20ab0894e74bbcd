import { Module } from '@nestjs/common';
import { DeploymentStoreModule } from '../deploy/deployment-store.module';
import { DeploymentMessageSync } from './deployment-message.sync';

/** The Discord side of every deployment: its message, its announcement, the watchdog mention. */
@Module({
  imports: [DeploymentStoreModule],
  providers: [DeploymentMessageSync],
  exports: [DeploymentMessageSync],
})
export class DeploymentMessageModule {}
