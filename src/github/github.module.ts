import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { GithubClient } from './github.client';

@Module({
  providers: [
    {
      provide: GithubClient,
      inject: [AppConfig, AppMetrics],
      useFactory: (config: AppConfig, metrics: AppMetrics) => new GithubClient(config, metrics),
    },
  ],
  exports: [GithubClient],
})
export class GithubModule {}
