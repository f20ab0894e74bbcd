import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DeliveryGauges } from './delivery-gauges';
import { DeliveryStatsService } from './delivery-stats.service';
import { DigestCommands } from './digest.commands';
import { DigestScheduler } from './digest.scheduler';
import { DigestPostDocument, DigestPostSchema } from './digest.schema';
import { DigestStore } from './digest.store';
import { FaultComponents } from './fault.components';
import { FaultReportsService } from './fault-reports.service';
import { LeadTimeCollector } from './lead-time.collector';
import { LeadTimeDocument, LeadTimeSchema } from './lead-time.schema';
import { LeadTimeStore } from './lead-time.store';
import { StatsCommands } from './stats.commands';

/**
 * The delivery metrics: /stats, "Report faulty", the commits' dates behind the lead time, the
 * Prometheus gauges and the weekly digest.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: LeadTimeDocument.name, schema: LeadTimeSchema },
      { name: DigestPostDocument.name, schema: DigestPostSchema },
    ]),
    DeploymentsModule,
    GithubModule,
    ServiceRegistryModule,
    AccessModule,
  ],
  providers: [
    LeadTimeStore,
    LeadTimeCollector,
    DeliveryStatsService,
    DeliveryGauges,
    FaultReportsService,
    FaultComponents,
    StatsCommands,
    DigestStore,
    DigestScheduler,
    DigestCommands,
  ],
})
export class DeliveryInsightModule {}
