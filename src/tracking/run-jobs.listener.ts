import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { GithubClient } from '../github/github.client';
import { toJobLine } from './run-jobs';

/**
 * When a run has failed and no job report says where (no `workflow_job` webhooks, or they are
 * late), the run's jobs are read once, so the message names the job and step that failed.
 */
@Injectable()
export class RunJobsListener implements OnModuleInit {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly events: DeploymentEvents,
    private readonly transitions: DeploymentTransitions,
    private readonly github: GithubClient,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.events.on('finished', 'failed jobs', async ({ deployment }) => {
      if (deployment.status !== 'failure' || !deployment.runId || !deployment.source) return;
      const reported = deployment.jobs?.some(
        (job) => job.status === 'completed' && job.conclusion !== 'success',
      );
      if (reported) return;
      const { owner, repo } = deployment.source;
      try {
        const jobs = await this.github.listRunJobs(owner, repo, deployment.runId);
        const at = this.clock.now().toISOString();
        await this.transitions.recordJobs(
          deployment.runId,
          jobs.map((job) => toJobLine(job, at)),
        );
      } catch (error) {
        this.logger.warn(
          `Reading the jobs of run ${deployment.runId} (${deployment.id}) failed: ${(error as Error).message}`,
        );
      }
    });
  }
}
