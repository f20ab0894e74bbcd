import { Injectable, OnModuleInit } from '@nestjs/common';
import { WebhookPayloadError } from '../github/webhook/webhook.errors';
import { DeliveryOutcome, WebhookRouter } from '../github/webhook/webhook-router';
import { RunTrackerService } from './run-tracker.service';
import { WebhookActivity } from './webhook-activity';

const RUN_ACTIONS = new Set(['requested', 'in_progress', 'completed']);

interface WorkflowRunPayload {
  action?: string;
  workflow_run?: {
    id?: number;
    workflow_id?: number;
    path?: string;
    status?: string;
    run_attempt?: number;
    conclusion?: string | null;
    html_url?: string;
    updated_at?: string;
    repository?: { full_name?: string };
  };
  repository?: { full_name?: string };
}

/**
 * Verified `workflow_run` deliveries move the deployment of their run when the delivery's
 * repository and workflow are the deployment's; other actions, and runs no deployment has, are
 * acknowledged and ignored.
 */
@Injectable()
export class WorkflowRunWebhook implements OnModuleInit {
  constructor(
    private readonly router: WebhookRouter,
    private readonly tracker: RunTrackerService,
    private readonly activity: WebhookActivity,
  ) {}

  onModuleInit(): void {
    this.router.register('workflow_run', (deliveryId, payload) => this.handle(deliveryId, payload));
  }

  async handle(deliveryId: string, payload: unknown): Promise<DeliveryOutcome> {
    const { action, workflow_run: run, repository } = (payload ?? {}) as WorkflowRunPayload;
    if (!action || !RUN_ACTIONS.has(action)) return 'ignored';
    if (!run || typeof run.id !== 'number' || typeof run.status !== 'string') {
      throw new WebhookPayloadError();
    }
    // https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run: the event's
    // repository, also given inside the run.
    const fullName = repository?.full_name ?? run.repository?.full_name;
    if (typeof fullName !== 'string') return 'ignored';
    const outcome = await this.tracker.applyDelivery(
      run.id,
      deliveryId,
      {
        status: run.status,
        conclusion: run.conclusion ?? null,
        htmlUrl: run.html_url ?? '',
        updatedAt: run.updated_at ?? new Date().toISOString(),
        // https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run: a re-run
        // keeps the run's id and counts up its attempt.
        ...(Number.isInteger(run.run_attempt) ? { runAttempt: run.run_attempt } : {}),
      },
      {
        repository: fullName,
        workflowId: run.workflow_id,
        workflowPath: run.path,
      },
    );
    // A new event about one of the bot's runs: the repository's run webhooks reach the bot.
    if (outcome === 'accepted') await this.activity.noteDelivery(fullName, run.updated_at);
    return outcome;
  }
}
