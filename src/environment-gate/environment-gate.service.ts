import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { AccessService } from '../access/access.service';
import { admittedRequest } from '../admission/admitted-request';
import { AppConfig } from '../config/app-config';
import { Deployment, DeploymentOrigin, isTerminal, Person } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { DISPATCH_GRACE_MS } from '../deployments/deadlines';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { unheld } from '../github/github-budget';
import { mayPass } from '../github/github.errors';
import { GithubClient } from '../github/github.client';
import { LaunchChecks } from '../dispatch/launch-checks';
import { TargetLocksService } from '../target-locks/target-locks.service';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { onBehalfOfTheBot } from '../github/member-context';
import { channelOf, gateOf, Service } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { answerComment, decisionOf } from './gate-decisions';
import { GateDecision, GateRequest } from './gate-request.store';
import { deploysWith, GateStep, isApp, notRegistered, oneAtATime, refusedRef } from './gate-rules';

/** A dispatch of the bot's own still looking for its run is waited for this often. */
const OWN_RUN_RETRY_MS = 3_000;
/** A request whose deployment is still undecided is looked at this often (moves also nudge it). */
const UNDECIDED_RETRY_MS = 30_000;
/** A read of the run GitHub did not answer is tried again this soon. */
const READ_RETRY_MS = 10_000;

/** The run GitHub holds, as the bot read it. */
interface HeldRun {
  htmlUrl?: string;
  attempt: number;
  workflowId?: number;
  path?: string;
}

/**
 * The environment gate's rules: what the bot answers GitHub when a job of a run waits on an
 * environment whose protection rule is the bot's App. Its own dispatches go through at once
 * (approved in Discord already); any other run becomes a deployment started on GitHub and goes
 * through what a /deploy goes through (allowed refs, CI gate, approval, locks, promotion order);
 * environments the service does not list are answered as the service says.
 */
@Injectable()
export class EnvironmentGateService {
  private readonly logger = new Logger('EnvironmentGate');

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ServiceRegistryService,
    private readonly history: DeploymentHistory,
    private readonly launcher: DeploymentLauncher,
    private readonly access: AccessService,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
    private readonly checks: LaunchChecks,
    private readonly github: GithubClient,
    private readonly transitions: DeploymentTransitions,
    private readonly clock: Clock,
  ) {}

  /** The next step for an undecided request. */
  async step(asked: GateRequest): Promise<GateStep> {
    if (asked.deploymentId) return this.stepOfDeployment(asked, asked.deploymentId);
    // GitHub's environment names ignore case; the bot's are lowercase.
    const request = { ...asked, environment: asked.environment.toLowerCase() };
    const services = await this.registry.servicesOfRepository(request.owner, request.repo);
    // A repository no service deploys is none of the bot's business: it does not answer.
    if (!services.length)
      return { decide: { state: 'ignored', comment: 'repository not served by the bot' } };
    const listing = services.filter((service) =>
      service.environments.includes(request.environment),
    );
    if (!listing.length) return notRegistered(services, request.environment);
    try {
      const run = await this.runOf(request);
      if (!run) return { decide: { state: 'ignored', comment: 'run not found' } };
      const service = listing.find((candidate) => deploysWith(candidate, run));
      if (!service) return notRegistered(listing, `the workflow ${run.path ?? run.workflowId}`);
      return await this.stepFor(service, request, run);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (!mayPass(error))
        return { decide: { state: 'rejected', comment: `Not let through: ${error.message}` } };
      // GitHub or Discord may answer in a moment: the question waits, unanswered.
      this.logger.warn(`run ${request.runId}: ${error.message}; trying again`);
      return { lookAgainAt: new Date(this.clock.now().getTime() + READ_RETRY_MS) };
    }
  }

  private async stepFor(service: Service, request: GateRequest, run: HeldRun): Promise<GateStep> {
    const following = await this.history.findByRunId(request.runId);
    if (following && !isTerminal(following.status)) {
      const followed = await this.followed(following, request, run.attempt);
      if (followed) return followed;
    }
    const now = this.clock.now().getTime();
    const looking = await this.history.findLookingForRun(service.name, request.environment);
    if (looking && now - request.createdAt.getTime() < DISPATCH_GRACE_MS)
      return { lookAgainAt: new Date(now + OWN_RUN_RETRY_MS) };
    // The newest deployment this run opened for the environment. Opened since this question (by
    // a worker that stopped before it could note it): that one it is. Before it, for this attempt
    // (a job asking late, or a replay): decided in Discord already, as decided.
    const latest = await this.history.findStartedOnGithub(request.runId, request.environment);
    if (latest && latest.createdAt.getTime() >= request.createdAt.getTime())
      return { opened: latest };
    if (latest && (latest.origin?.runAttempt ?? 1) === run.attempt) {
      const decision = decisionOf(latest, request.runId, this.config.approval.timeoutMs);
      return decision ? { decide: decision } : { opened: latest };
    }
    // Another request of the run is still undecided or running: one environment at a time.
    const other = await this.history.findUnfinishedStartedOnGithub(request.runId);
    if (other && other.environment !== request.environment) return oneAtATime(other);
    if (other) return { lookAgainAt: new Date(now + UNDECIDED_RETRY_MS) };
    const refused =
      refusedRef(service, request.environment, request.ref) ??
      (await this.refusedTarget(service, request));
    if (refused) return { decide: { state: 'rejected', comment: refused } };
    const channelId = channelOf(service, request.environment, this.config.discord.deployChannelId);
    if (!channelId)
      return {
        decide: {
          state: 'rejected',
          comment: `No Discord channel is set for ${service.name} ${request.environment} (and no DEPLOY_CHANNEL_ID): the bot cannot ask anyone.`,
        },
      };
    return { opened: await this.open(service, request, channelId, run) };
  }

  /**
   * A run a deployment follows already, asking (again). Approved at once only when Discord has
   * decided it: the bot's own dispatch (started by an App's account: a person's run the bot took
   * for its own is never let through unasked), or a run let through for this environment (a job
   * asking after another). A run only observed so far gives way to the request (superseded).
   */
  private async followed(
    following: Deployment,
    request: GateRequest,
    attempt: number,
  ): Promise<GateStep | undefined> {
    const sameAttempt = (following.origin?.runAttempt ?? 1) === attempt;
    if (following.origin && !following.origin.gated) {
      if (following.environment !== request.environment || !sameAttempt)
        return oneAtATime(following);
      await this.transitions.supersedeObserved(
        following.id,
        `GitHub asked the bot about this run for ${request.environment}: a Discord request decides it`,
      );
      return undefined;
    }
    if (!sameAttempt) return undefined;
    if (following.environment !== request.environment) return oneAtATime(following);
    if (!following.origin && !(await this.isOwnApp(request))) {
      this.logger.warn(
        `run ${request.runId} is followed as ${following.id}, but ${request.sender.login} (not the bot's App) started it: rejected`,
      );
      return {
        decide: {
          state: 'rejected',
          comment: `This run is followed as the deploy bot's own deployment ${following.id}, but the bot did not start it: rejected. Deploy from Discord.`,
        },
      };
    }
    return { decide: { state: 'approved', comment: answerComment(following, 'approved') } };
  }

  /** Whether the bot's own App started the run (its account, `<slug>[bot]`; no other App's). */
  private async isOwnApp(request: GateRequest): Promise<boolean> {
    if (!isApp(request.sender)) return false;
    const slug = await unheld(() =>
      onBehalfOfTheBot(() => this.github.ownAppSlug(request.owner, request.repo)),
    );
    return Boolean(slug) && request.sender.login.toLowerCase() === `${slug}[bot]`.toLowerCase();
  }

  private async stepOfDeployment(request: GateRequest, id: string): Promise<GateStep> {
    const deployment = await this.history.findById(id);
    if (!deployment)
      return { decide: { state: 'rejected', comment: `The deployment ${id} is gone.` } };
    const decided = decisionOf(deployment, request.runId, this.config.approval.timeoutMs);
    if (decided) return { decide: decided };
    return { lookAgainAt: new Date(this.clock.now().getTime() + UNDECIDED_RETRY_MS) };
  }

  /**
   * As for /deploy: a locked, frozen or closed target, or a commit the promotion order does not
   * allow yet, is refused at once (checked again at the decisive approval).
   */
  private async refusedTarget(service: Service, request: GateRequest): Promise<string | undefined> {
    const locked = await this.locks.refuseLocked(service.name, request.environment).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof AppError) return `Not let through: ${error.message}`;
        throw error;
      },
    );
    if (locked) return locked;
    const closure = await this.schedule.closure(
      service.name,
      request.environment,
      'Start it again when the target is open.',
    );
    if (closure) return `Not let through: ${closure.error.message}`;
    const promotion = await this.checks.promotionRefusal(service, request.environment, request.sha);
    return promotion ? `Not let through: ${promotion.message}` : undefined;
  }

  /** A deployment started on GitHub, asking Discord: what a /deploy of the run's commit would be. */
  private async open(service: Service, request: GateRequest, channelId: string, run: HeldRun) {
    const runUrl = run.htmlUrl;
    const requester = await this.requesterOf(request.sender);
    const origin: DeploymentOrigin = {
      kind: 'github',
      login: request.sender.login,
      event: request.event,
      runId: request.runId,
      runAttempt: run.attempt,
      ...(runUrl ? { runUrl } : {}),
      gated: true,
      ...(isApp(request.sender) ? { app: true } : {}),
      ...(requester.linked ? { member: requester.person } : {}),
    };
    const admitted = admittedRequest(
      service,
      {
        environment: request.environment,
        ref: request.ref.replace(/^refs\/(heads|tags)\//, ''),
        sha: request.sha,
        requester: requester.person,
      },
      async () => undefined,
    );
    const gate = gateOf(service, request.environment);
    const { githubDeployment: _recordedByGithub, ...draft } = admitted.draft;
    return onBehalfOfTheBot(() =>
      this.launcher.launch({
        ...admitted,
        draft: { ...draft, origin, channelId },
        ...(gate.mode !== 'off' ? { gate: { mode: gate.mode, required: gate.required } } : {}),
      }),
    );
  }

  /** The run GitHub holds (read once per question, on the bot's budget); undefined when unknown. */
  private async runOf(request: GateRequest): Promise<HeldRun | undefined> {
    try {
      const answer = await unheld(() =>
        onBehalfOfTheBot(() => this.github.getRun(request.owner, request.repo, request.runId)),
      );
      if (answer.notModified) return { attempt: 1 };
      const { htmlUrl, runAttempt, workflowId, path } = answer.run;
      return { htmlUrl, attempt: runAttempt ?? 1, workflowId, path };
    } catch (error) {
      // GitHub does not know the run in that repository: there is nothing to answer.
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Who asks: the member linked to the GitHub login (so they cannot approve their own run), or
   * the login itself; an App's account is never a person.
   */
  async requesterOf(sender: {
    login: string;
    type: string;
  }): Promise<{ person: Person; linked: boolean }> {
    if (!isApp(sender)) {
      const member = await this.access.memberLinkedTo(sender.login);
      if (member) return { person: member, linked: true };
    }
    return {
      person: { id: `github:${sender.login.toLowerCase()}`, name: `${sender.login} (GitHub)` },
      linked: false,
    };
  }

  logDecision(request: GateRequest, decision: GateDecision): void {
    this.logger.log(
      `run ${request.runId} in ${request.owner}/${request.repo} (${request.environment}): ${decision.state}`,
    );
  }
}
