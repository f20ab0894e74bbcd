import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppMetrics, METRIC } from '../../src/metrics/app-metrics';

/** Real metric objects on a private registry, for unit tests that check what was recorded. */
export function testMetrics(): { metrics: AppMetrics; registry: Registry } {
  const registry = new Registry();
  const registers = [registry];
  const metrics = new AppMetrics(
    new Counter({
      name: METRIC.deployments,
      help: 'h',
      labelNames: ['service', 'environment', 'status'],
      registers,
    }),
    new Gauge({ name: METRIC.activeDeployments, help: 'h', registers }),
    new Histogram({
      name: METRIC.deploymentDuration,
      help: 'h',
      labelNames: ['service', 'environment', 'status'],
      registers,
    }),
    new Counter({
      name: METRIC.commands,
      help: 'h',
      labelNames: ['command', 'outcome'],
      registers,
    }),
    new Histogram({ name: METRIC.commandDuration, help: 'h', labelNames: ['command'], registers }),
    new Counter({
      name: METRIC.webhookDeliveries,
      help: 'h',
      labelNames: ['event', 'outcome'],
      registers,
    }),
    new Gauge({ name: METRIC.webhookBodiesInFlight, help: 'h', registers }),
    new Counter({
      name: METRIC.githubRequests,
      help: 'h',
      labelNames: ['route', 'status'],
      registers,
    }),
    new Counter({
      name: METRIC.approvals,
      help: 'h',
      labelNames: ['environment', 'outcome'],
      registers,
    }),
    new Histogram({ name: METRIC.approvalWait, help: 'h', labelNames: ['environment'], registers }),
    new Counter({
      name: METRIC.ciGate,
      help: 'h',
      labelNames: ['environment', 'outcome'],
      registers,
    }),
    new Counter({ name: METRIC.interactionClaims, help: 'h', labelNames: ['outcome'], registers }),
    new Gauge({ name: METRIC.githubBudget, help: 'h', labelNames: ['kind'], registers }),
    new Counter({ name: METRIC.githubBudgetWaits, help: 'h', registers }),
    new Gauge({ name: METRIC.trackedRepositories, help: 'h', labelNames: ['mode'], registers }),
    new Counter({
      name: METRIC.githubRuns,
      help: 'h',
      labelNames: ['environment', 'kind'],
      registers,
    }),
    new Counter({
      name: METRIC.gateAnswers,
      help: 'h',
      labelNames: ['state', 'outcome'],
      registers,
    }),
    new Counter({
      name: METRIC.scheduleOverrides,
      help: 'h',
      labelNames: ['environment', 'rule'],
      registers,
    }),
    new Counter({ name: METRIC.queue, help: 'h', labelNames: ['outcome'], registers }),
    new Counter({
      name: METRIC.verifications,
      help: 'h',
      labelNames: ['environment', 'outcome'],
      registers,
    }),
    new Counter({
      name: METRIC.automaticRollbacks,
      help: 'h',
      labelNames: ['environment', 'outcome'],
      registers,
    }),
    ...((
      [
        [METRIC.deliveryFrequency, ['service', 'environment']],
        [METRIC.deliveryLeadTime, ['service', 'environment', 'quantile']],
        [METRIC.deliveryChangeFail, ['service', 'environment']],
        [METRIC.deliveryRecovery, ['service', 'environment']],
        [METRIC.deliveryRework, ['service', 'environment']],
      ] as const
    ).map(
      ([name, labelNames]) =>
        new Gauge({ name, help: 'h', labelNames: [...labelNames], registers }) as Gauge<never>,
    ) as [Gauge<never>, Gauge<never>, Gauge<never>, Gauge<never>, Gauge<never>]),
  );
  return { metrics, registry };
}

/** The value of one labelled series, 0 when it was never recorded. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const series = metric?.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return series?.value ?? 0;
}
