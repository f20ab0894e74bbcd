import { Module } from '@nestjs/common';
import { GithubModule } from '../github/github.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { DeploymentStoreModule } from './deployment-store.module';
import { DispatchService } from './dispatch.service';

/** Dispatching a recorded deployment: used by /deploy, by approvals and by the tracker. */
@Module({
  imports: [DeploymentStoreModule, GithubModule, ServiceRegistryModule],
  providers: [DispatchService],
  exports: [DispatchService],
})
export class DispatchModule {}
