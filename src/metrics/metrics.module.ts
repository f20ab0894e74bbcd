import { Global, Module } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { AppMetrics, METRIC } from './app-metrics';

/** /metrics: the chatops_ metrics (AppMetrics); features set them (deployment-metrics/ keeps the deployment ones). */
@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } })],
  providers: [
    makeCounterProvider({
      name: METRIC.deployments,
      help: 'Deployments that reached a terminal status',
      labelNames: ['service', 'environment', 'status'],
    }),
    makeGaugeProvider({
      name: METRIC.activeDeployments,
      help: 'Deployments in flight (dispatching, dispatched, queued, in progress)',
    }),
    makeHistogramProvider({
      name: METRIC.deploymentDuration,
      help: 'Time from dispatch to terminal status',
      labelNames: ['service', 'environment', 'status'],
      buckets: [15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    }),
    makeCounterProvider({
      name: METRIC.commands,
      help: 'Discord commands and button clicks handled, by outcome',
      labelNames: ['command', 'outcome'],
    }),
    makeHistogramProvider({
      name: METRIC.commandDuration,
      help: 'Time to handle a Discord command',
      labelNames: ['command'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    makeCounterProvider({
      name: METRIC.webhookDeliveries,
      help: 'GitHub webhook deliveries, by event and outcome',
      labelNames: ['event', 'outcome'],
    }),
    makeGaugeProvider({
      name: METRIC.webhookBodiesInFlight,
      help: 'Webhook request bodies being received right now (not yet verified)',
    }),
    makeCounterProvider({
      name: METRIC.githubRequests,
      help: 'HTTP requests made to the GitHub API, by route template and status',
      labelNames: ['route', 'status'],
    }),
    makeCounterProvider({
      name: METRIC.approvals,
      help: 'Approval requests by outcome (approved, cancelled, expired) and refused clicks',
      labelNames: ['environment', 'outcome'],
    }),
    makeHistogramProvider({
      name: METRIC.approvalWait,
      help: 'Time from an approval request to its approval',
      labelNames: ['environment'],
      buckets: [10, 30, 60, 120, 300, 600, 1800, 3600],
    }),
    makeCounterProvider({
      name: METRIC.ciGate,
      help: 'CI gate decisions by outcome (passed, waited, refused, overridden, expired)',
      labelNames: ['environment', 'outcome'],
    }),
    makeCounterProvider({
      name: METRIC.interactionClaims,
      help: 'Interactions received from the gateway, by claim outcome: won (this instance handles it), lost (another instance does), unavailable (the database could not say; handled here), stopping (not claimed: this instance is shutting down)',
      labelNames: ['outcome'],
    }),
    makeGaugeProvider({
      name: METRIC.githubBudget,
      help: "This instance's GitHub budget in points a minute (kind limit: its part of GITHUB_BACKGROUND_BUDGET_PER_MINUTE), and the points it spent in the last minute by kind: command (members' commands and clicks) or background (the bot's own work)",
      labelNames: ['kind'],
    }),
    makeCounterProvider({
      name: METRIC.githubBudgetWaits,
      help: "The bot's own GitHub requests that waited for room in the budget",
    }),
    makeGaugeProvider({
      name: METRIC.trackedRepositories,
      help: 'Repositories with runs in flight, by how they are tracked: webhook (deliveries seen lately; polling is a slow backstop) or polling (every POLL_INTERVAL_MS)',
      labelNames: ['mode'],
    }),
    makeCounterProvider({
      name: METRIC.githubRuns,
      help: 'Deployments started on GitHub (a push, the Run workflow button, a re-run, another tool), by environment and kind: gated (GitHub waited for Discord) or observed (recorded as they ran)',
      labelNames: ['environment', 'kind'],
    }),
    makeCounterProvider({
      name: METRIC.gateAnswers,
      help: "The environment gate's answers to GitHub, by state (approved, rejected) and outcome: accepted, or not-waiting (GitHub no longer waited)",
      labelNames: ['state', 'outcome'],
    }),
    makeCounterProvider({
      name: METRIC.scheduleOverrides,
      help: 'Deployments an admin sent through a freeze or a closed deploy window ("Deploy anyway", with a reason and a second admin), by environment and rule (freeze, window)',
      labelNames: ['environment', 'rule'],
    }),
    makeCounterProvider({
      name: METRIC.verifications,
      help: 'Verifications after a successful run that ended, by environment and outcome: verified, failed, stopped (a newer deployment went to the target first)',
      labelNames: ['environment', 'outcome'],
    }),
    makeCounterProvider({
      name: METRIC.automaticRollbacks,
      help: 'What the bot did after a failed verification on a target with auto-rollback on, by environment and outcome: started, held (nothing verified to go back to, a rollback that failed, a target an admin locked), skipped (a newer deployment went there first)',
      labelNames: ['environment', 'outcome'],
    }),
    makeCounterProvider({
      name: METRIC.queue,
      help: "Requests in the targets' queues, by outcome: queued, full (refused: the queue was full), admitted, requeued (the target closed again before it went), failed (its re-check refused it), expired, cancelled",
      labelNames: ['outcome'],
    }),
    // The delivery metrics of /stats over the last 30 days, per service and production
    // environment (both from the registry: bounded), refreshed every 5 minutes. A figure with
    // nothing to measure is absent, not 0.
    makeGaugeProvider({
      name: METRIC.deliveryFrequency,
      help: 'Successful deployments per day over the last 30 days (DORA deployment frequency)',
      labelNames: ['service', 'environment'],
    }),
    makeGaugeProvider({
      name: METRIC.deliveryLeadTime,
      help: "Change lead time over the last 30 days: from a commit's date to the success of the deployment that brought it, median (quantile 0.5) and p90",
      labelNames: ['service', 'environment', 'quantile'],
    }),
    makeGaugeProvider({
      name: METRIC.deliveryChangeFail,
      help: 'Change fail rate over the last 30 days: changes rolled back, failing verification or reported faulty within DORA_FAILURE_WINDOW, over all changes',
      labelNames: ['service', 'environment'],
    }),
    makeGaugeProvider({
      name: METRIC.deliveryRecovery,
      help: 'Failed deployment recovery time over the last 30 days: median from the failure to the next good deployment',
      labelNames: ['service', 'environment'],
    }),
    makeGaugeProvider({
      name: METRIC.deliveryRework,
      help: 'Deployment rework rate over the last 30 days: rollbacks and hotfixes over successful deployments',
      labelNames: ['service', 'environment'],
    }),
    AppMetrics,
  ],
  exports: [AppMetrics],
})
export class MetricsModule {}
