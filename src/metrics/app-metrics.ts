import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';

export const METRIC = {
  deployments: 'chatops_deployments_total',
  activeDeployments: 'chatops_active_deployments',
  deploymentDuration: 'chatops_deployment_duration_seconds',
  commands: 'chatops_commands_total',
  commandDuration: 'chatops_command_duration_seconds',
  webhookDeliveries: 'chatops_webhook_deliveries_total',
  webhookBodiesInFlight: 'chatops_webhook_bodies_in_flight',
  githubRequests: 'chatops_github_requests_total',
  approvals: 'chatops_approvals_total',
  approvalWait: 'chatops_approval_wait_seconds',
  ciGate: 'chatops_ci_gate_total',
  interactionClaims: 'chatops_interaction_claims_total',
  githubBudget: 'chatops_github_budget_points',
  githubBudgetWaits: 'chatops_github_budget_waits_total',
  trackedRepositories: 'chatops_tracking_repositories',
  githubRuns: 'chatops_github_started_deployments_total',
  gateAnswers: 'chatops_environment_gate_answers_total',
  scheduleOverrides: 'chatops_schedule_overrides_total',
  queue: 'chatops_queue_total',
  verifications: 'chatops_verifications_total',
  automaticRollbacks: 'chatops_automatic_rollbacks_total',
  deliveryFrequency: 'chatops_delivery_deployments_per_day',
  deliveryLeadTime: 'chatops_delivery_lead_time_seconds',
  deliveryChangeFail: 'chatops_delivery_change_fail_ratio',
  deliveryRecovery: 'chatops_delivery_recovery_time_seconds',
  deliveryRework: 'chatops_delivery_rework_ratio',
} as const;

/** Typed access to the chatops_ metrics; features record through this, never by name. */
@Injectable()
export class AppMetrics {
  constructor(
    @InjectMetric(METRIC.deployments)
    readonly deployments: Counter<'service' | 'environment' | 'status'>,
    @InjectMetric(METRIC.activeDeployments) readonly activeDeployments: Gauge,
    @InjectMetric(METRIC.deploymentDuration)
    readonly deploymentDuration: Histogram<'service' | 'environment' | 'status'>,
    @InjectMetric(METRIC.commands) readonly commands: Counter<'command' | 'outcome'>,
    @InjectMetric(METRIC.commandDuration) readonly commandDuration: Histogram<'command'>,
    @InjectMetric(METRIC.webhookDeliveries)
    readonly webhookDeliveries: Counter<'event' | 'outcome'>,
    @InjectMetric(METRIC.webhookBodiesInFlight) readonly webhookBodiesInFlight: Gauge,
    @InjectMetric(METRIC.githubRequests) readonly githubRequests: Counter<'route' | 'status'>,
    @InjectMetric(METRIC.approvals) readonly approvals: Counter<'environment' | 'outcome'>,
    @InjectMetric(METRIC.approvalWait) readonly approvalWait: Histogram<'environment'>,
    @InjectMetric(METRIC.ciGate) readonly ciGate: Counter<'environment' | 'outcome'>,
    @InjectMetric(METRIC.interactionClaims)
    readonly interactionClaims: Counter<'outcome'>,
    @InjectMetric(METRIC.githubBudget) readonly githubBudget: Gauge<'kind'>,
    @InjectMetric(METRIC.githubBudgetWaits) readonly githubBudgetWaits: Counter,
    @InjectMetric(METRIC.trackedRepositories) readonly trackedRepositories: Gauge<'mode'>,
    @InjectMetric(METRIC.githubRuns) readonly githubRuns: Counter<'environment' | 'kind'>,
    @InjectMetric(METRIC.gateAnswers) readonly gateAnswers: Counter<'state' | 'outcome'>,
    @InjectMetric(METRIC.scheduleOverrides)
    readonly scheduleOverrides: Counter<'environment' | 'rule'>,
    @InjectMetric(METRIC.queue) readonly queue: Counter<'outcome'>,
    @InjectMetric(METRIC.verifications)
    readonly verifications: Counter<'environment' | 'outcome'>,
    @InjectMetric(METRIC.automaticRollbacks)
    readonly automaticRollbacks: Counter<'environment' | 'outcome'>,
    @InjectMetric(METRIC.deliveryFrequency)
    readonly deliveryFrequency: Gauge<'service' | 'environment'>,
    @InjectMetric(METRIC.deliveryLeadTime)
    readonly deliveryLeadTime: Gauge<'service' | 'environment' | 'quantile'>,
    @InjectMetric(METRIC.deliveryChangeFail)
    readonly deliveryChangeFail: Gauge<'service' | 'environment'>,
    @InjectMetric(METRIC.deliveryRecovery)
    readonly deliveryRecovery: Gauge<'service' | 'environment'>,
    @InjectMetric(METRIC.deliveryRework)
    readonly deliveryRework: Gauge<'service' | 'environment'>,
  ) {}
}
