import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Deployment, deploymentDurationMs } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { AppMetrics } from '../metrics/app-metrics';

/** Other instances move deployments too: the gauge is read again this often. */
const GAUGE_REFRESH_MS = 15_000;

const APPROVAL_OUTCOMES: Partial<Record<Deployment['status'], string>> = {
  approved: 'approved',
  rejected: 'cancelled',
  expired: 'expired',
};

/**
 * The deployment metrics, from the kernel's events: each deployment counted once when it
 * finishes (with its duration), each approval request's outcome and wait, and the
 * active-deployments gauge, which nothing else writes.
 */
@Injectable()
export class DeploymentMetricsListener
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Metrics');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly events: DeploymentEvents,
    private readonly history: DeploymentHistory,
    private readonly metrics: AppMetrics,
  ) {}

  onModuleInit(): void {
    this.events.on('finished', 'metrics', ({ deployment }) => {
      const labels = {
        service: deployment.service,
        environment: deployment.environment,
        status: deployment.status,
      };
      this.metrics.deployments.inc(labels);
      const duration = deploymentDurationMs(deployment);
      if (duration !== undefined) this.metrics.deploymentDuration.observe(labels, duration / 1000);
    });
    this.events.on('moved', 'approval metrics', ({ deployment, from }) => {
      const outcome = APPROVAL_OUTCOMES[deployment.status];
      if (from !== 'pending_approval' || !outcome) return;
      this.metrics.approvals.inc({ environment: deployment.environment, outcome });
      const decidedAt = deployment.approval?.decidedAt;
      if (outcome === 'approved' && decidedAt)
        this.metrics.approvalWait.observe(
          { environment: deployment.environment },
          (new Date(decidedAt).getTime() - new Date(deployment.createdAt).getTime()) / 1000,
        );
    });
    this.events.on('verification', 'verification metrics', ({ deployment, from }) => {
      const record = deployment.verification;
      if (!record) return;
      const environment = deployment.environment;
      // Counted once, by the instance whose update ended it (or settled its rollback).
      if (from === 'failed' && record.rollback && record.rollback.state !== 'due')
        this.metrics.automaticRollbacks.inc({ environment, outcome: record.rollback.state });
      else if (from !== record.state && ['verified', 'failed', 'stopped'].includes(record.state))
        this.metrics.verifications.inc({ environment, outcome: record.state });
    });
    this.events.on(['created', 'moved'], 'active gauge', () => this.refreshGauge());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refreshGauge();
    this.timer = setInterval(() => void this.refreshGauge(), GAUGE_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async refreshGauge(): Promise<void> {
    try {
      this.metrics.activeDeployments.set(await this.history.countInFlight());
    } catch (error) {
      this.logger.warn(`Counting deployments in flight failed: ${(error as Error).message}`);
    }
  }
}
