import { Injectable, OnModuleInit } from '@nestjs/common';
import { DeliveryOutcome, WebhookRouter } from '../github/webhook/webhook-router';
import { outsideRunsOf } from '../service-registry/service';
import { ObservedRun, OutsideRunsService } from './outside-runs.service';

interface RunFields {
  id?: number;
  run_attempt?: number;
  workflow_id?: number;
  path?: string;
  status?: string;
  conclusion?: string | null;
  html_url?: string;
  head_sha?: string;
  head_branch?: string | null;
  event?: string;
  triggering_actor?: { login?: string; type?: string } | null;
  actor?: { login?: string; type?: string } | null;
  repository?: Repository;
}

interface Repository {
  name?: string;
  owner?: { login?: string };
}

/** Where a run in flight is recorded from: GitHub's states that mean it runs or has ended. */
const RECORDED_DEPLOYMENT_STATES = new Set(['in_progress', 'success', 'failure', 'error']);

/**
 * Runs started on GitHub, from two deliveries:
 * - `workflow_run` (only those tracking ignores: runs no deployment follows), for a service whose
 *   outside runs deploy to one fixed environment;
 * - `deployment_status` of a deployment GitHub Actions created for a job of the run (it names the
 *   run and its environment), once the job runs or has ended (not while it waits for a
 *   protection rule: those runs are the environment gate's).
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run,
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#deployment_status
 */
@Injectable()
export class OutsideRunsWebhook implements OnModuleInit {
  constructor(
    private readonly router: WebhookRouter,
    private readonly runs: OutsideRunsService,
  ) {}

  onModuleInit(): void {
    this.router.registerFallback('workflow_run', (_id, payload) => this.onRun(payload));
    this.router.register('deployment_status', (_id, payload) => this.onDeploymentStatus(payload));
  }

  async onRun(payload: unknown): Promise<DeliveryOutcome> {
    const body = (payload ?? {}) as {
      action?: string;
      workflow_run?: RunFields;
      repository?: Repository;
    };
    if (body.action !== 'in_progress' && body.action !== 'completed') return 'ignored';
    const run = observed(body.workflow_run, body.repository);
    if (!run) return 'ignored';
    const service = await this.runs.serviceOf(run);
    if (!service) return 'ignored';
    const from = outsideRunsOf(service).environmentFrom;
    if (from === 'deployments') return 'ignored';
    return this.runs.record(service, from.fixed, run);
  }

  async onDeploymentStatus(payload: unknown): Promise<DeliveryOutcome> {
    const body = (payload ?? {}) as {
      action?: string;
      deployment_status?: { state?: string };
      deployment?: { environment?: string };
      workflow_run?: RunFields | null;
      repository?: Repository;
    };
    if (body.action !== 'created') return 'ignored';
    if (!RECORDED_DEPLOYMENT_STATES.has(String(body.deployment_status?.state))) return 'ignored';
    const environment = body.deployment?.environment;
    if (typeof environment !== 'string' || !environment) return 'ignored';
    const run = observed(body.workflow_run ?? undefined, body.repository);
    if (!run) return 'ignored';
    const service = await this.runs.serviceOf(run);
    if (!service) return 'ignored';
    return this.runs.record(service, environment, run);
  }
}

/** The run a delivery describes, or undefined when it lacks what a record needs. */
function observed(
  run: RunFields | undefined,
  repository: Repository | undefined,
): ObservedRun | undefined {
  // The event's repository, also given inside the run.
  const owner = repository?.owner?.login ?? run?.repository?.owner?.login;
  const repo = repository?.name ?? run?.repository?.name;
  if (!run || typeof run.id !== 'number' || !owner || !repo) return undefined;
  if (typeof run.head_sha !== 'string' || !/^[0-9a-f]{40}$/i.test(run.head_sha)) return undefined;
  return {
    owner,
    repo,
    id: run.id,
    headSha: run.head_sha,
    ...(typeof run.run_attempt === 'number' ? { attempt: run.run_attempt } : {}),
    ...(typeof run.workflow_id === 'number' ? { workflowId: run.workflow_id } : {}),
    ...(typeof run.path === 'string' ? { path: run.path } : {}),
    ...(typeof run.status === 'string' ? { status: run.status } : {}),
    conclusion: typeof run.conclusion === 'string' ? run.conclusion : null,
    ...(typeof run.html_url === 'string' ? { htmlUrl: run.html_url } : {}),
    headBranch: typeof run.head_branch === 'string' ? run.head_branch : null,
    ...(typeof run.event === 'string' ? { event: run.event } : {}),
    actor: run.triggering_actor ?? run.actor ?? null,
  };
}
