import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { AccessModule } from './access/access.module';
import { AppExceptionFilter } from './app-exception.filter';
import { ApprovalModule } from './approval/approval.module';
import { AuditModule } from './audit/audit.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeployModule } from './deploy/deploy.module';
import { DeploymentMessageModule } from './deployment-message/deployment-message.module';
import { MongoEndpoint } from './database/mongo-endpoint';
import { DiscordModule } from './discord/discord.module';
import { GithubModule } from './github/github.module';
import { HealthModule } from './health/health.module';
import { HttpSurface } from './http/http-surface';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RollbackModule } from './rollback/rollback.module';
import { StatusModule } from './status/status.module';
import { ServiceRegistryModule } from './service-registry/service-registry.module';
import { TrackingModule } from './tracking/tracking.module';

@Module({})
export class AppModule {
  /** `extraImports` lets tests mount probes (a command that throws) beside the real features. */
  static forRoot(
    config: AppConfig,
    boot: { rootLogger: Logger; endpoint: MongoEndpoint },
    extraImports: ModuleMetadata['imports'] = [],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(boot.rootLogger),
        MetricsModule,
        DatabaseModule.forRoot(boot.endpoint),
        ScheduleModule.forRoot(),
        DiscordModule,
        GithubModule,
        AuditModule,
        AccessModule,
        ServiceRegistryModule,
        DeployModule,
        DeploymentMessageModule,
        ApprovalModule,
        RollbackModule,
        StatusModule,
        HealthModule,
        TrackingModule,
        ...extraImports,
      ],
      providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }, HttpSurface],
    };
  }
}
