import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { GithubDeploymentsListener } from './github-deployments.listener';
import { GithubDeploymentsService } from './github-deployments.service';
import { DeploymentGithubStore } from './github-record.store';

/** Deployments as GitHub's Deployments API shows them: created before dispatch, then statuses. */
@Module({
  imports: [DeploymentsModule, GithubModule],
  providers: [GithubDeploymentsService, GithubDeploymentsListener, DeploymentGithubStore],
  exports: [GithubDeploymentsService],
})
export class GithubDeploymentsModule {}
