import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubClient } from './github.client';
import { MemberBudget } from './member-budget.repository';
import { MemberBudgetDocument, MemberBudgetSchema } from './member-budget.schema';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: MemberBudgetDocument.name, schema: MemberBudgetSchema }]),
  ],
  providers: [
    MemberBudget,
    {
      provide: GithubClient,
      inject: [AppConfig, AppMetrics, MemberBudget, Clock],
      useFactory: (config: AppConfig, metrics: AppMetrics, budget: MemberBudget, clock: Clock) =>
        new GithubClient(config, metrics, { chargeMember: (member) => budget.take(member) }, clock),
    },
  ],
  exports: [GithubClient, MemberBudget],
})
export class GithubModule {}
