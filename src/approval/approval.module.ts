import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { DeploymentStoreModule } from '../deploy/deployment-store.module';
import { DispatchModule } from '../deploy/dispatch.module';
import { GithubModule } from '../github/github.module';
import { ApprovalComponents } from './approval.components';
import { ApprovalService } from './approval.service';
import { ApprovalSweeper } from './approval.sweeper';

@Module({
  imports: [DeploymentStoreModule, DispatchModule, AccessModule, GithubModule],
  providers: [ApprovalService, ApprovalComponents, ApprovalSweeper],
  exports: [ApprovalService],
})
export class ApprovalModule {}
