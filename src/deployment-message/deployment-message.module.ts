import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeploymentMessageListener } from './deployment-message.listener';
import { DeploymentOutbox } from './message-outbox.store';

/** The Discord side of every deployment: its message, its announcement, the watchdog mention. */
@Module({
  imports: [DeploymentsModule],
  providers: [DeploymentMessageListener, DeploymentOutbox],
})
export class DeploymentMessageModule {}
