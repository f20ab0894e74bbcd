import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../libs/clock';
import { BackgroundRound } from '../../libs/background-round';
import { Instance } from '../../libs/instance';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient } from '../github/github.client';
import { onBehalfOfTheBot } from '../github/member-context';
import { productionEnvironmentsOf } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { DAY_MS } from './delivery.rules';
import { LeadTimeStore, MAX_LEAD_TIME_ATTEMPTS } from './lead-time.store';

const TICK_MS = 5_000;
/** Each fetch holds its record this long (a crashed instance's is taken over after it). */
const LEASE_MS = 60_000;
/** How often, and how far back, successes that were never asked for are found (a lost event). */
const BACKFILL_MS = 10 * 60_000;
const BACKFILL_DAYS = 2;
/** At most this many commits' dates are kept per deployment. */
export const MAX_COMMITS = 250;

/**
 * Fetches, once per successful production deployment, the dates of the commits it brought (the
 * compare with the target's previous success; the commit alone for a first deployment) and keeps
 * them for the change lead time. GitHub is asked as the bot's background work, within its budget;
 * a failed try is retried later (1, 4, 9, 16 minutes), then given up.
 */
@Injectable()
export class LeadTimeCollector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LeadTime');
  private readonly rounds: BackgroundRound;
  private lastBackfill = 0;

  constructor(
    private readonly store: LeadTimeStore,
    private readonly history: DeploymentHistory,
    private readonly registry: ServiceRegistryService,
    private readonly github: GithubClient,
    private readonly events: DeploymentEvents,
    scheduler: SchedulerRegistry,
    private readonly instance: Instance,
    private readonly clock: Clock,
  ) {
    this.rounds = new BackgroundRound(scheduler, instance, {
      name: 'lead-time',
      everyMs: TICK_MS,
      work: () => this.work(),
      ready: () => this.history.connected(),
      logger: this.logger,
      failure: 'Lead time round failed',
    });
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
    this.events.on('finished', 'lead-time', async ({ deployment }) => {
      if (deployment.status !== 'success' || deployment.rollback || !deployment.finishedAt) return;
      const service = await this.registry.get(deployment.service).catch(() => undefined);
      if (!service || !productionEnvironmentsOf(service).includes(deployment.environment)) return;
      await this.store.request(
        [{ ...deployment, finishedAt: deployment.finishedAt }],
        this.clock.now(),
      );
      await this.round();
    });
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round (shared: a round asked for while one runs is that one). */
  round(): Promise<void> {
    return this.rounds.run();
  }

  private async work(): Promise<void> {
    const now = this.clock.now();
    if (now.getTime() - this.lastBackfill >= BACKFILL_MS) {
      this.lastBackfill = now.getTime();
      await this.backfill(now);
    }
    for (let n = 0; n < 10; n++) {
      const owner = this.instance.leaseOwner();
      const task = await this.store.claim(this.clock.now(), owner, LEASE_MS);
      if (!task) return;
      await this.fetch(task.id, task.attempts, owner);
    }
  }

  /** Successes of the last days that no record asks for (an event lost to a restart). */
  private async backfill(now: Date): Promise<void> {
    const from = new Date(now.getTime() - BACKFILL_DAYS * DAY_MS);
    for (const service of await this.registry.list()) {
      const environments = productionEnvironmentsOf(service);
      if (!environments.length) continue;
      const facts = (
        await this.history.findFinishedBetween(service.name, environments, from, now, 5_000, {
          newestFirst: true,
        })
      ).filter((fact) => fact.status === 'success' && !fact.rollbackOf);
      const known = await this.store.known(facts.map((fact) => fact.id));
      await this.store.request(
        facts
          .filter((fact) => !known.has(fact.id))
          .map((fact) => ({ ...fact, service: service.name })),
        now,
      );
    }
  }

  private async fetch(id: string, attempts: number, owner: string): Promise<void> {
    try {
      const deployment = await this.history.findById(id);
      if (!deployment?.finishedAt) throw new Error('the deployment is gone');
      const before = await this.history.findSuccessBefore(
        deployment.service,
        deployment.environment,
        deployment.finishedAt,
      );
      // Redeploying what ran there already brings no commit: GitHub is not asked.
      if (before?.sha === deployment.sha) {
        await this.store.done(id, owner, [], 0);
        return;
      }
      const source = deployment.source ?? (await this.registry.sourceOf(deployment));
      const { dates, total } = await onBehalfOfTheBot(() =>
        this.github.commitDates(
          source.owner,
          source.repo,
          before?.sha,
          deployment.sha,
          MAX_COMMITS,
        ),
      );
      await this.store.done(id, owner, dates, total);
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 300) : 'unknown error';
      const retryAt =
        attempts < MAX_LEAD_TIME_ATTEMPTS
          ? new Date(this.clock.now().getTime() + attempts * attempts * 60_000)
          : undefined;
      this.logger.warn(`Commits of ${id} not read (try ${attempts}): ${reason}`);
      await this.store.failed(id, owner, reason, retryAt);
    }
  }
}
