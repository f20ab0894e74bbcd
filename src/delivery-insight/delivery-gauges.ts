import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BackgroundRound } from '../../libs/background-round';
import { Instance } from '../../libs/instance';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { AppMetrics } from '../metrics/app-metrics';
import { productionEnvironmentsOf } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { DeliveryFigures } from './delivery.rules';
import { DeliveryStatsService } from './delivery-stats.service';

/** The period the gauges measure (the /stats default). */
export const GAUGE_PERIOD_DAYS = 30;
const REFRESH_MS = 5 * 60_000;
const SECOND = 1_000;

/** One target's figures, as the gauges show them (absent: nothing to measure). */
export interface TargetGauges {
  service: string;
  environment: string;
  figures: DeliveryFigures;
}

/**
 * The delivery metrics as Prometheus gauges, per service and production environment, over the
 * last 30 days: computed by the same rules as /stats from one bounded, indexed read per target
 * (this period only), every 5 minutes and at start, one target at a time. Every instance exports them (from the same records), so dashboards
 * take `max` across instances. A figure with nothing to measure (no commit, no failure) is left
 * out rather than shown as 0; a target no longer in the registry disappears at the next refresh.
 */
@Injectable()
export class DeliveryGauges implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryGauges');
  private readonly rounds: BackgroundRound;

  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly delivery: DeliveryStatsService,
    private readonly history: DeploymentHistory,
    private readonly metrics: AppMetrics,
    scheduler: SchedulerRegistry,
    private readonly instance: Instance,
  ) {
    this.rounds = new BackgroundRound(scheduler, instance, {
      name: 'delivery-gauges',
      everyMs: REFRESH_MS,
      work: async () => this.show(await this.read()),
      ready: () => this.history.connected(),
      logger: this.logger,
      failure: 'Delivery gauges not refreshed',
    });
  }

  onApplicationBootstrap(): void {
    this.rounds.start(true);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /** Reads every production target's figures, then replaces the gauges at once. */
  refresh(): Promise<void> {
    return this.rounds.run();
  }

  private async read(): Promise<TargetGauges[]> {
    const targets: TargetGauges[] = [];
    for (const service of await this.registry.list()) {
      for (const environment of productionEnvironmentsOf(service)) {
        if (this.instance.stopping) return targets;
        const figures = await this.delivery
          .figures(service.name, environment, GAUGE_PERIOD_DAYS)
          .catch((error: Error) => {
            this.logger.warn(
              `Delivery figures of ${service.name} ${environment} not read: ${error.message}`,
            );
            return undefined;
          });
        if (figures) targets.push({ service: service.name, environment, figures });
      }
    }
    return targets;
  }

  /** Synchronous: a scrape sees the old gauges or the new ones, never a mix. */
  private show(targets: TargetGauges[]): void {
    const m = this.metrics;
    for (const gauge of [
      m.deliveryFrequency,
      m.deliveryLeadTime,
      m.deliveryChangeFail,
      m.deliveryRecovery,
      m.deliveryRework,
    ])
      gauge.reset();
    for (const { service, environment, figures } of targets) {
      const labels = { service, environment };
      m.deliveryFrequency.set(labels, figures.frequency.deployments / GAUGE_PERIOD_DAYS);
      const { medianMs, p90Ms } = figures.leadTime;
      if (medianMs !== undefined)
        m.deliveryLeadTime.set({ ...labels, quantile: '0.5' }, medianMs / SECOND);
      if (p90Ms !== undefined)
        m.deliveryLeadTime.set({ ...labels, quantile: '0.9' }, p90Ms / SECOND);
      if (figures.changeFail.rate !== undefined)
        m.deliveryChangeFail.set(labels, figures.changeFail.rate);
      if (figures.recovery.medianMs !== undefined)
        m.deliveryRecovery.set(labels, figures.recovery.medianMs / SECOND);
      if (figures.rework.rate !== undefined) m.deliveryRework.set(labels, figures.rework.rate);
    }
  }
}
