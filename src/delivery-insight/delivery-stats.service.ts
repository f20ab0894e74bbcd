import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { ValidationError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { DeliveryFact, DeploymentHistory } from '../deployments/deployment-history.repository';
import { Service, productionEnvironmentsOf } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import {
  DAY_MS,
  DeliveryFigures,
  DeliveryInput,
  WeekBar,
  deliveryFigures,
  weeklySeries,
} from './delivery.rules';
import { LeadTimeStore } from './lead-time.store';

/** At most this many deployments are read for one answer (two periods together). */
export const MAX_DEPLOYMENTS_READ = 20_000;
const MAX_PERIOD_DAYS = 365;

/** `30d`, `4w`: whole days or weeks, from 1 day to 365 days. */
export function parsePeriodDays(value: string | undefined): number {
  if (value === undefined) return 30;
  const match = /^(\d{1,3})\s*(d|w)$/.exec(value.trim().toLowerCase());
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : NaN;
  if (!(days >= 1 && days <= MAX_PERIOD_DAYS))
    throw new ValidationError(
      `Invalid period: a number of days or weeks from 1d to ${MAX_PERIOD_DAYS}d (7d, 4w, 90d).`,
    );
  return days;
}

export interface DeliveryStats {
  service: Service;
  environments: string[];
  /** The environments are the service's production ones (no `env` asked for). */
  production: boolean;
  current: DeliveryFigures;
  previous: DeliveryFigures;
  weeks: WeekBar[];
  /** The deployments behind the current figures (the CSV export). */
  facts: DeliveryFact[];
  commitDates: Map<string, Date[]>;
  failureWindowMs: number;
}

/**
 * The delivery metrics of a service's production environments (or one environment asked for)
 * over a period ending now, and over the period before it for the trend: two indexed reads (the
 * deployments, the commits' dates), bounded.
 */
@Injectable()
export class DeliveryStatsService {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly history: DeploymentHistory,
    private readonly leadTimes: LeadTimeStore,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async stats(name: string, environment: string | undefined, days: number): Promise<DeliveryStats> {
    const service = environment
      ? await this.registry.getForEnvironment(name, environment.trim().toLowerCase())
      : await this.registry.get(name);
    const environments = environment
      ? [environment.trim().toLowerCase()]
      : productionEnvironmentsOf(service);
    if (!environments.length)
      throw new ValidationError(
        `${service.name} has no production environment: name one (env:…), or mark one with /service target … production:True.`,
      );
    const now = this.clock.now();
    const spanMs = days * DAY_MS;
    const current = { from: new Date(now.getTime() - spanMs), to: now };
    const previous = { from: new Date(now.getTime() - 2 * spanMs), to: current.from };
    const { facts, commitDates } = await this.read(service.name, environments, previous.from, now);
    const failureWindowMs = this.config.delivery.failureWindowMs;
    const input = (period: typeof current): DeliveryInput => ({
      facts,
      commitDates,
      period,
      failureWindowMs,
    });
    return {
      service,
      environments,
      production: !environment,
      current: deliveryFigures(input(current)),
      previous: deliveryFigures(input(previous)),
      weeks: weeklySeries({
        ...input(current),
        facts: facts.filter((fact) => fact.finishedAt >= current.from),
      }),
      facts: facts.filter((fact) => fact.finishedAt >= current.from),
      commitDates,
      failureWindowMs,
    };
  }

  /**
   * The figures alone of one target over the last `days` (the gauges): one period read, no
   * trend, no weeks.
   */
  async figures(service: string, environment: string, days: number): Promise<DeliveryFigures> {
    const now = this.clock.now();
    const period = { from: new Date(now.getTime() - days * DAY_MS), to: now };
    const { facts, commitDates } = await this.read(service, [environment], period.from, now);
    return deliveryFigures({
      facts,
      commitDates,
      period,
      failureWindowMs: this.config.delivery.failureWindowMs,
    });
  }

  /** The deployments that finished from `from` to now, and their commits' dates: bounded. */
  private async read(service: string, environments: string[], from: Date, now: Date) {
    const facts = await this.history.findFinishedBetween(
      service,
      environments,
      from,
      new Date(now.getTime() + 1),
      MAX_DEPLOYMENTS_READ,
    );
    if (facts.length > MAX_DEPLOYMENTS_READ)
      throw new ValidationError(
        `More than ${MAX_DEPLOYMENTS_READ} deployments in that span: ask for a shorter period.`,
      );
    const commitDates = await this.leadTimes.datesOf(
      facts.filter((fact) => fact.status === 'success' && !fact.rollbackOf).map((fact) => fact.id),
    );
    return { facts, commitDates };
  }
}
