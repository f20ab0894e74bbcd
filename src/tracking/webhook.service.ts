import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DeliveryRepository } from './delivery.repository';
import { RunTrackerService } from './run-tracker.service';
import { WebhookPayloadError } from './tracking.errors';

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored';

const DEDUP_WINDOW_MS = 7 * 24 * 3_600_000;
const RUN_ACTIONS = new Set(['requested', 'in_progress', 'completed']);

interface WorkflowRunPayload {
  action?: string;
  workflow_run?: {
    id?: number;
    status?: string;
    conclusion?: string | null;
    html_url?: string;
    updated_at?: string;
  };
}

/** A verified delivery: deduplicated by its id, then applied to the deployment of its run. */
@Injectable()
export class WebhookService {
  private readonly logger = new Logger('Webhook');

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly tracker: RunTrackerService,
  ) {}

  async handle(deliveryId: string, event: string, payload: unknown): Promise<DeliveryOutcome> {
    if (event !== 'workflow_run') return 'ignored';
    const { action, workflow_run: run } = (payload ?? {}) as WorkflowRunPayload;
    if (!action || !RUN_ACTIONS.has(action)) return 'ignored';
    if (!run || typeof run.id !== 'number' || typeof run.status !== 'string')
      throw new WebhookPayloadError();
    if (!(await this.deliveries.recordFirst(deliveryId, event))) return 'duplicate';
    try {
      const known = await this.tracker.applyRunState(run.id, {
        status: run.status,
        conclusion: run.conclusion ?? null,
        htmlUrl: run.html_url ?? '',
        updatedAt: run.updated_at ?? new Date().toISOString(),
      });
      return known ? 'accepted' : 'ignored';
    } catch (error) {
      // Not applied: a redelivery of the same id must be processed, not deduplicated.
      await this.deliveries.forget(deliveryId).catch(() => undefined);
      throw error;
    }
  }

  @Interval('webhook-delivery-sweep', 3_600_000)
  async sweep(): Promise<void> {
    try {
      await this.deliveries.sweepOlderThan(new Date(Date.now() - DEDUP_WINDOW_MS));
    } catch (error) {
      this.logger.warn(`Sweeping old deliveries failed: ${(error as Error).message}`);
    }
  }
}
