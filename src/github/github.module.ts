import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from '../../libs/clock';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { Heartbeat } from '../instances/heartbeat';
import { GithubBudget } from './github-budget';
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
      provide: GithubBudget,
      inject: [AppConfig, AppMetrics, Heartbeat, Clock],
      useFactory: (config: AppConfig, metrics: AppMetrics, heartbeat: Heartbeat, clock: Clock) =>
        new GithubBudget({
          perMinute: config.github.backgroundBudgetPerMinute,
          instances: () => heartbeat.instancesSharing(),
          onWait: () => metrics.githubBudgetWaits.inc(),
          onReport: (limit, used) => {
            metrics.githubBudget.set({ kind: 'limit' }, limit);
            metrics.githubBudget.set({ kind: 'command' }, used.command);
            metrics.githubBudget.set({ kind: 'background' }, used.background);
          },
          clock,
        }),
    },
    {
      provide: GithubClient,
      inject: [AppConfig, AppMetrics, MemberBudget, GithubBudget, Clock],
      useFactory: (
        config: AppConfig,
        metrics: AppMetrics,
        members: MemberBudget,
        budget: GithubBudget,
        clock: Clock,
      ) =>
        new GithubClient(
          config,
          metrics,
          { chargeMember: (member) => members.take(member), budget },
          clock,
        ),
    },
  ],
  exports: [GithubClient, GithubBudget, MemberBudget],
})
export class GithubModule {}
