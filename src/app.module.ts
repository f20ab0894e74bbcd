import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { Clock } from '../libs/clock';
import { Instance } from '../libs/instance';
import { AccessModule } from './access/access.module';
import { AppExceptionFilter } from './app-exception.filter';
import { ApprovalModule } from './approval/approval.module';
import { AuditModule } from './audit/audit.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeployModule } from './deploy/deploy.module';
import { EnvironmentGateModule } from './environment-gate/environment-gate.module';
import { DeploymentMessageModule } from './deployment-message/deployment-message.module';
import { DeploymentMetricsModule } from './deployment-metrics/deployment-metrics.module';
import { MongoEndpoint } from './database/mongo-endpoint';
import { DiscordModule } from './discord/discord.module';
import { GithubModule } from './github/github.module';
import { WebhookModule } from './github/webhook/webhook.module';
import { HealthModule } from './health/health.module';
import { HttpSurface } from './http/http-surface';
import { InstancesModule } from './instances/instances.module';
import { VerificationModule } from './verification/verification.module';
import { DeliveryInsightModule } from './delivery-insight/delivery-insight.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RollbackModule } from './rollback/rollback.module';
import { StatusModule } from './status/status.module';
import { TargetLocksModule } from './target-locks/target-locks.module';
import { DeployWindowsModule } from './deploy-windows/deploy-windows.module';
import { DeployQueueModule } from './deploy-queue/deploy-queue.module';
import { ServiceRegistryModule } from './service-registry/service-registry.module';
import { TrackingModule } from './tracking/tracking.module';

@Module({})
export class AppModule {
  /**
   * `boot.clock` lets tests move time forward; `extraImports` lets them mount probes (a command
   * that throws) beside the real features.
   */
  static forRoot(
    config: AppConfig,
    boot: { rootLogger: Logger; endpoint: MongoEndpoint; clock?: Clock; instance: Instance },
    extraImports: ModuleMetadata['imports'] = [],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config, boot.clock, boot.instance),
        LoggingModule.forRoot(boot.rootLogger),
        MetricsModule,
        DatabaseModule.forRoot(boot.endpoint),
        InstancesModule,
        ScheduleModule.forRoot(),
        DiscordModule,
        GithubModule,
        WebhookModule,
        AuditModule,
        AccessModule,
        ServiceRegistryModule,
        TargetLocksModule,
        DeployWindowsModule,
        DeployQueueModule,
        ApprovalModule,
        DeploymentMessageModule,
        DeploymentMetricsModule,
        DeployModule,
        RollbackModule,
        VerificationModule,
        DeliveryInsightModule,
        EnvironmentGateModule,
        TrackingModule,
        StatusModule,
        HealthModule,
        ...extraImports,
      ],
      providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }, HttpSurface],
    };
  }
}
