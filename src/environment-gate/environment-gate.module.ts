import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { DeployModule } from '../deploy/deploy.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { WebhookModule } from '../github/webhook/webhook.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { EnvironmentGateService } from './environment-gate.service';
import { GateRequestDocument, GateRequestSchema } from './gate-request.schema';
import { GateRequestStore } from './gate-request.store';
import { GateRequestWorker } from './gate-request.worker';
import { OutsideRunsService } from './outside-runs.service';
import { OutsideRunsWebhook } from './outside-runs.webhook';
import { ProtectionRuleWebhook } from './protection-rule.webhook';

/**
 * Every GitHub deployment, whoever started it: the App's custom deployment protection rule (GitHub
 * waits for Discord) and runs started on GitHub recorded as deployments.
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: GateRequestDocument.name, schema: GateRequestSchema }]),
    DeployModule,
    DeploymentsModule,
    AccessModule,
    GithubModule,
    WebhookModule,
    ServiceRegistryModule,
    TargetLocksModule,
    DeployWindowsModule,
    DispatchModule,
  ],
  providers: [
    GateRequestStore,
    EnvironmentGateService,
    GateRequestWorker,
    ProtectionRuleWebhook,
    OutsideRunsService,
    OutsideRunsWebhook,
  ],
})
export class EnvironmentGateModule {}
