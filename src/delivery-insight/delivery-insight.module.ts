import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DeliveryStatsService } from './delivery-stats.service';
import { FaultComponents } from './fault.components';
import { FaultReportsService } from './fault-reports.service';
import { LeadTimeCollector } from './lead-time.collector';
import { LeadTimeDocument, LeadTimeSchema } from './lead-time.schema';
import { LeadTimeStore } from './lead-time.store';
import { StatsCommands } from './stats.commands';

/** The delivery metrics: /stats, "Report faulty", and the commits' dates behind the lead time. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: LeadTimeDocument.name, schema: LeadTimeSchema }]),
    DeploymentsModule,
    GithubModule,
    ServiceRegistryModule,
    AccessModule,
  ],
  providers: [
    LeadTimeStore,
    LeadTimeCollector,
    DeliveryStatsService,
    FaultReportsService,
    FaultComponents,
    StatsCommands,
  ],
})
export class DeliveryInsightModule {}
