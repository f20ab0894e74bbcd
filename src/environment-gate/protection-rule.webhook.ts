import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { WebhookPayloadError } from '../github/webhook/webhook.errors';
import { DeliveryOutcome, WebhookRouter } from '../github/webhook/webhook-router';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { GateRequestStore } from './gate-request.store';

interface ProtectionRulePayload {
  action?: string;
  environment?: string;
  event?: string;
  deployment_callback_url?: string;
  deployment?: { sha?: string; ref?: string };
  repository?: { full_name?: string; name?: string; owner?: { login?: string } };
  sender?: { login?: string; type?: string };
}

/** The run a callback URL names, when it is GitHub's documented endpoint for this repository. */
const CALLBACK_PATH =
  /\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d{1,15})\/deployment_protection_rule$/;

/**
 * Verified `deployment_protection_rule` deliveries (action `requested`): a job of a run waits
 * until the bot's App answers for its environment. Recorded at once (one request per run and
 * environment; a redelivery changes nothing) and acknowledged; GateRequestWorker decides and
 * answers. The callback URL is only read for its run id: the answer always goes to the
 * configured GitHub API host.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#deployment_protection_rule
 */
@Injectable()
export class ProtectionRuleWebhook implements OnModuleInit {
  constructor(
    private readonly router: WebhookRouter,
    private readonly requests: GateRequestStore,
    private readonly registry: ServiceRegistryService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.router.register('deployment_protection_rule', (id, payload) => this.handle(id, payload));
  }

  async handle(deliveryId: string, payload: unknown): Promise<DeliveryOutcome> {
    const body = (payload ?? {}) as ProtectionRulePayload;
    if (body.action !== 'requested') return 'ignored';
    const owner = body.repository?.owner?.login;
    const repo = body.repository?.name;
    const environment = body.environment;
    const sha = body.deployment?.sha;
    const login = body.sender?.login;
    if (
      !owner ||
      !repo ||
      !isName(environment) ||
      typeof sha !== 'string' ||
      !/^[0-9a-f]{40}$/i.test(sha) ||
      typeof login !== 'string' ||
      typeof body.deployment_callback_url !== 'string'
    )
      throw new WebhookPayloadError();
    const callback = safePath(body.deployment_callback_url);
    const named = callback ? CALLBACK_PATH.exec(callback) : null;
    // Another repository's run (or no run at all) is never asked about.
    if (
      !named ||
      named[1].toLowerCase() !== owner.toLowerCase() ||
      named[2].toLowerCase() !== repo.toLowerCase()
    )
      throw new WebhookPayloadError();
    // A repository no service deploys (another owner's installation of the App, say) is
    // acknowledged and forgotten: nothing is stored, nothing is answered.
    if (!(await this.registry.servesRepository(owner, repo))) return 'ignored';
    const recorded = await this.requests.record(
      {
        owner,
        repo,
        runId: Number(named[3]),
        environment,
        event: typeof body.event === 'string' ? body.event.slice(0, 50) : 'unknown',
        sender: {
          login: login.slice(0, 100),
          type: typeof body.sender?.type === 'string' ? body.sender.type.slice(0, 20) : 'User',
        },
        sha: sha.toLowerCase(),
        ref: typeof body.deployment?.ref === 'string' ? body.deployment.ref.slice(0, 255) : sha,
      },
      deliveryId,
      this.clock.now(),
    );
    return recorded === 'duplicate' ? 'duplicate' : 'accepted';
  }
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 255;
}

function safePath(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
}
