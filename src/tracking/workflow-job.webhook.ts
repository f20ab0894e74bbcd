import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { toRunJob } from '../github/github.mapping';
import { WebhookPayloadError } from '../github/webhook/webhook.errors';
import { DeliveryOutcome, WebhookRouter } from '../github/webhook/webhook-router';
import { toJobLine } from './run-jobs';

const JOB_ACTIONS = new Set(['queued', 'waiting', 'in_progress', 'completed']);

interface WorkflowJobPayload {
  action?: string;
  workflow_job?: Parameters<typeof toRunJob>[0] & { run_id?: number };
  repository?: { full_name?: string };
}

/**
 * Verified `workflow_job` deliveries (https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job)
 * update the jobs shown on the deployment of their run: queued, waiting for a GitHub
 * environment's approval, running which step, done or failed at which step. Deduplicated like
 * run events; they never change a deployment's status.
 */
@Injectable()
export class WorkflowJobWebhook implements OnModuleInit {
  constructor(
    private readonly router: WebhookRouter,
    private readonly transitions: DeploymentTransitions,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.router.register('workflow_job', (deliveryId, payload) => this.handle(deliveryId, payload));
  }

  async handle(deliveryId: string, payload: unknown): Promise<DeliveryOutcome> {
    const { action, workflow_job: job, repository } = (payload ?? {}) as WorkflowJobPayload;
    if (!action || !JOB_ACTIONS.has(action)) return 'ignored';
    if (
      !job ||
      typeof job.id !== 'number' ||
      typeof job.run_id !== 'number' ||
      typeof job.name !== 'string' ||
      typeof job.status !== 'string' ||
      (job.steps !== undefined && !Array.isArray(job.steps))
    )
      throw new WebhookPayloadError();
    if (typeof repository?.full_name !== 'string') return 'ignored';
    const line = toJobLine(toRunJob(job), this.clock.now().toISOString());
    const recorded = await this.transitions.recordJobs(job.run_id, [line], {
      id: deliveryId,
      repository: repository.full_name,
    });
    if (recorded === 'duplicate') return 'duplicate';
    return recorded ? 'accepted' : 'ignored';
  }
}
