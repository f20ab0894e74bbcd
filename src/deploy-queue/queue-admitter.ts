import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { Instance } from '../../libs/instance';
import { plainText } from '../../libs/text';
import { QueueEntry, QueueStore, Target } from '../admission/queue.store';
import { AppConfig } from '../config/app-config';
import { Deployment, isTerminal } from '../deployments/deployment';
import { DeploymentEvents } from '../deployments/deployment.events';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeployService } from '../deploy/deploy.service';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { ChannelNotices } from '../discord/channel-notices';
import { MemberDirectory } from '../discord/member-directory';
import { AppMetrics } from '../metrics/app-metrics';
import { TargetLocksService } from '../target-locks/target-locks.service';

/** How often every instance looks at the queues (besides the nudges of events). */
export const QUEUE_TICK_MS = 2_000;
/** An admitting instance's hold on a target's turn, renewed while it works. */
const TURN_LEASE_MS = 60_000;
/** A failure that may pass (GitHub, MongoDB) holds the entry, at its place, this long. */
const RETRY_AFTER_MS = 30_000;
/** After so many of those in a row the entry fails (the queue behind it has waited enough). */
const PASSING_ATTEMPTS = 10;
/** Why an entry whose id an older, admitted entry had fails (one chance in millions). */
const ID_CLASH =
  'its id was taken by an older request that became a deployment: queue it again (it gets a new id).';
/** A notice Discord keeps refusing is given up on after so many tries. */
const NOTICE_ATTEMPTS = 20;

/** The target is not free yet: the entry goes back to its place and waits. */
const WAIT_AGAIN = new Set([
  'DEPLOY.TARGET_BUSY',
  'DEPLOY.CAPACITY',
  'DEPLOY.TARGET_LOCKED',
  'DEPLOY.FROZEN',
  'DEPLOY.WINDOW_CLOSED',
]);
/**
 * GitHub or MongoDB failing for now: tried again a little later, the entry keeping its place.
 * The requester's own GitHub budget is not among them: a member could spend it on purpose to
 * hold the queue; their entry fails instead.
 */
const PASSING = new Set([
  'DATABASE.UNAVAILABLE',
  'GITHUB.UNAVAILABLE',
  'GITHUB.UNREACHABLE',
  'GITHUB.RATE_LIMITED',
  'GITHUB.BUDGET_CLOSED',
]);

/**
 * Admits the head of each target's queue when the target is free: no deployment in flight there,
 * no lock, no freeze, inside its windows, room under the cap. One entry of a target at a time,
 * on whichever instance takes its turn (one conditional update); the next goes once the admitted
 * one's deployment has ended. An admitted entry goes through every rule of /deploy with its
 * requester's roles as they are now (its ref resolved now), as a deployment whose message is
 * posted in the channel it was asked in, mentioning the requester once. The deployment carries
 * the entry's id under a unique index, so an entry becomes one deployment at most, whoever
 * admits it and however often it is tried (an instance that stops mid-admission is taken over:
 * the next looks for the deployment before anything else).
 */
@Injectable()
export class QueueAdmitter
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Queue');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly queue: QueueStore,
    private readonly deploys: DeployService,
    private readonly launcher: DeploymentLauncher,
    private readonly history: DeploymentHistory,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
    private readonly members: MemberDirectory,
    private readonly events: DeploymentEvents,
    private readonly notices: ChannelNotices,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
    private readonly instance: Instance,
  ) {}

  onModuleInit(): void {
    this.events.on('finished', 'queue admission', () => this.nudge());
    this.queue.onQueued(() => this.nudge());
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.nudge(), QUEUE_TICK_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.settled();
  }

  /** Looks at every queue now (or right after the look under way). */
  nudge(): void {
    if (this.stopped || this.instance.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: Error) => this.logger.warn(`Looking at the queues failed: ${error.message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Resolves once the look under way (and any asked for meanwhile) is done. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * What the target waits for, in plain words; undefined when it is free: a lock, a freeze or a
   * closed window, a deployment in flight there, or the cap on deployments in flight.
   */
  async blockerOf(target: Target): Promise<string | undefined> {
    const lock = await this.locks.find(target.service, target.environment);
    if (lock) return `locked by ${plainText(lock.by.name, 60)}: ${plainText(lock.reason, 200)}`;
    const closure = await this.schedule.closure(target.service, target.environment);
    if (closure) return closure.error.message;
    const busy = await this.history.findInFlightForTarget(target.service, target.environment);
    if (busy) return `${busy.id} is in flight there (${busy.status.replace('_', ' ')})`;
    const inFlight = await this.history.listInFlight();
    if (inFlight.length >= this.config.deploy.maxConcurrent)
      return `${inFlight.length} deployments are in flight, the most allowed at once`;
    return undefined;
  }

  private async pass(): Promise<void> {
    const now = this.clock.now();
    for (let expired = 0; expired < 50; expired++) {
      const entry = await this.queue.expireOne(now);
      if (!entry) break;
      this.metrics.queue.inc({ outcome: 'expired' });
    }
    for (const target of await this.queue.activeTargets()) {
      if (this.stopped || this.instance.stopping) return;
      await this.step(target).catch((error: Error) =>
        this.logger.warn(
          `The queue of ${target.service} → ${target.environment}: ${error.message}`,
        ),
      );
    }
    await this.postNotices();
  }

  /** One target: settle its turn, then admit its head if the target is free. */
  private async step(target: Target): Promise<void> {
    const turn = await this.queue.turnOf(target);
    const now = this.clock.now();
    await this.queue.releaseStray(target, turn?.entryId, new Date(now.getTime() - TURN_LEASE_MS));
    if (turn?.phase === 'admitted') {
      const deployment = turn.deploymentId ? await this.history.findById(turn.deploymentId) : null;
      if (deployment && !isTerminal(deployment.status)) return;
      await this.queue.finishTurn(target, turn.entryId, now);
    } else if (turn?.phase === 'admitting') {
      if (turn.leaseUntil && new Date(turn.leaseUntil) > now) return;
      // The instance admitting it stopped: did the entry become a deployment before it did?
      const owner = this.instance.leaseOwner();
      if (!(await this.queue.takeOver(target, turn.entryId, owner, now, TURN_LEASE_MS))) return;
      const entry = await this.queue.find(turn.entryId);
      if (!entry) {
        await this.queue.clearTurn(target, turn.entryId, owner);
        return;
      }
      const admitted = await this.deploymentOf(entry);
      if (admitted === 'clash') await this.failed(entry, owner, ID_CLASH);
      else if (admitted) await this.queue.admitted(entry, admitted.id, now);
      else await this.queue.requeue(entry, owner);
      return;
    }
    if (await this.blockerOf(target)) return;
    const head = await this.queue.head(target, now);
    if (!head) return;
    const owner = this.instance.leaseOwner();
    if (!(await this.queue.takeTurn(head, owner, now, TURN_LEASE_MS))) return;
    await this.admit(head, owner);
  }

  private async admit(entry: QueueEntry, owner: string): Promise<void> {
    // The turn's lease is renewed while the checks run (GitHub may be slow): another instance
    // takes it over only from an instance that stopped.
    const renewal = setInterval(() => {
      this.queue.renewTurn(entry, owner, this.clock.now(), TURN_LEASE_MS).catch(() => undefined);
    }, TURN_LEASE_MS / 4);
    try {
      const actor = await this.members.actorOf(entry.requester.id);
      if (!actor) {
        await this.failed(
          entry,
          owner,
          `${plainText(entry.requester.name, 60)} is no longer a member of the server.`,
        );
        return;
      }
      const request = await this.deploys.prepareQueued(actor, {
        service: entry.service,
        environment: entry.environment,
        ref: entry.ref,
        ...(entry.hotfix ? { hotfix: true } : {}),
        channelId: entry.channelId,
        queued: {
          entryId: entry.id,
          queuedAt: entry.queuedAt ?? entry.createdAt,
          ...(entry.waitedFor ? { waitedFor: entry.waitedFor } : {}),
          ...(entry.shaAtQueue ? { shaAtQueue: entry.shaAtQueue } : {}),
        },
      });
      // Another instance took the turn over meanwhile: it decides this entry, not this one.
      if (!(await this.queue.renewTurn(entry, owner, this.clock.now(), TURN_LEASE_MS))) return;
      const deployment = await this.launcher.launch(request);
      await this.queue.admitted(entry, deployment.id, this.clock.now());
      this.metrics.queue.inc({ outcome: 'admitted' });
    } catch (error) {
      await this.settle(entry, owner, error);
    } finally {
      clearInterval(renewal);
    }
  }

  /** After a failed admission: became a deployment after all, back in line, or failed. */
  private async settle(entry: QueueEntry, owner: string, error: unknown): Promise<void> {
    const now = this.clock.now();
    const admitted = await this.deploymentOf(entry).catch(() => null);
    if (admitted === 'clash') {
      await this.failed(entry, owner, ID_CLASH);
      return;
    }
    if (admitted) {
      await this.queue.admitted(entry, admitted.id, now);
      return;
    }
    if (error instanceof AppError && WAIT_AGAIN.has(error.code)) {
      await this.queue.requeue(entry, owner);
      this.metrics.queue.inc({ outcome: 'requeued' });
      return;
    }
    if (error instanceof AppError && !PASSING.has(error.code)) {
      await this.failed(entry, owner, error.message);
      return;
    }
    const why = error instanceof AppError ? error.message : 'GitHub or MongoDB failed';
    if ((entry.attempts ?? 0) + 1 >= PASSING_ATTEMPTS) {
      await this.failed(entry, owner, `${why} (${PASSING_ATTEMPTS} tries in a row).`);
      return;
    }
    this.logger.warn(
      `Admitting ${entry.id} failed for now (${(error as Error).message}); it keeps its place and is tried again in ${RETRY_AFTER_MS / 1000} s, the entries behind it waiting`,
    );
    await this.queue.requeue(entry, owner, new Date(now.getTime() + RETRY_AFTER_MS));
  }

  /**
   * The deployment the entry became, if it did. Entry ids are short and the deployments keep
   * theirs for good: one made from an older entry with the same id (its time of queueing differs)
   * is a `clash`, not this entry's deployment.
   */
  private async deploymentOf(entry: QueueEntry): Promise<Deployment | 'clash' | null> {
    const found = await this.history.findByQueueEntry(entry.id);
    if (!found) return null;
    const queuedAt = new Date(found.queued?.queuedAt ?? 0).getTime();
    return queuedAt === (entry.queuedAt ?? entry.createdAt).getTime() ? found : 'clash';
  }

  private async failed(entry: QueueEntry, owner: string, why: string): Promise<void> {
    await this.queue.fail(entry, why, this.clock.now(), owner);
    this.metrics.queue.inc({ outcome: 'failed' });
  }

  /**
   * Tells requesters (mentioned once) that their queued request failed or expired. Claimed first,
   * so of several instances one posts it; a failure that may pass makes it due again.
   */
  private async postNotices(): Promise<void> {
    for (const entry of await this.queue.noticesDue()) {
      if (this.stopped) return;
      if (!(await this.queue.noticeDone(entry.id))) continue;
      const mention = /^\d+$/.test(entry.requester.id) ? entry.requester.id : undefined;
      const outcome = await this.notices.post(entry.channelId, noticeText(entry), mention);
      if (outcome.sent) continue;
      if (outcome.retry && (entry.noticeAttempts ?? 0) < NOTICE_ATTEMPTS)
        await this.queue.noticeFailed(entry.id);
      else this.logger.warn(`The notice of ${entry.id} was not posted: ${outcome.reason}`);
    }
  }
}

/** The notice of an entry that ended without going: it failed its re-check, or expired. */
export function noticeText(entry: QueueEntry): string {
  const who = /^\d+$/.test(entry.requester.id) ? `<@${entry.requester.id}> ` : '';
  const what = `your queued request ${entry.id} (${plainText(entry.service, 63)} → ${plainText(entry.environment, 32)})`;
  const text =
    entry.state === 'expired'
      ? `${who}${what} expired before the target took it: nothing was dispatched.`
      : `${who}${what} could not go when its turn came: ${plainText(entry.note, 1_500)} Nothing was dispatched.`;
  return text.slice(0, 2_000);
}
