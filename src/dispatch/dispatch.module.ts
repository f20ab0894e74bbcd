import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { GithubDeploymentsModule } from '../github-deployments/github-deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DispatchService } from './dispatch.service';

/** The workflow dispatch, exactly once, and finding the run it started. */
@Module({
  imports: [DeploymentsModule, GithubModule, GithubDeploymentsModule, ServiceRegistryModule],
  providers: [DispatchService],
  exports: [DispatchService],
})
export class DispatchModule {}
