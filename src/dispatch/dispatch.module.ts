import { Module } from '@nestjs/common';
import { CiChecksModule } from '../ci-checks/ci-checks.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { GithubDeploymentsModule } from '../github-deployments/github-deployments.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLocksModule } from '../target-locks/target-locks.module';
import { DeployWindowsModule } from '../deploy-windows/deploy-windows.module';
import { DispatchResumer } from './dispatch-resumer';
import { DispatchService } from './dispatch.service';
import { LaunchChecks } from './launch-checks';

/** The workflow dispatch, at most once, what must hold before it, and finding its run. */
@Module({
  imports: [
    DeploymentsModule,
    GithubModule,
    GithubDeploymentsModule,
    ServiceRegistryModule,
    TargetLocksModule,
    DeployWindowsModule,
    CiChecksModule,
  ],
  providers: [DispatchService, LaunchChecks, DispatchResumer],
  exports: [DispatchService, LaunchChecks],
})
export class DispatchModule {}
