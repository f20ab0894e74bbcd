import { Injectable } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { CiChecks } from '../ci-checks/ci-checks.service';
import { Deployment, GateRecord } from '../deployments/deployment';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { unheld } from '../github/github-budget';
import { GithubClient } from '../github/github.client';
import { onBehalfOfTheBot } from '../github/member-context';
import { Service } from '../service-registry/service';
import { formatSpan, verificationOf } from '../service-registry/verification-settings';
import { VerifiedDeployments } from '../deployments/verified-deployments.repository';
import { UnknownServiceError } from '../service-registry/service.errors';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { AUTOMATIC, TargetLocksService } from '../target-locks/target-locks.service';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { PromotionOrderError } from './dispatch.errors';

/** Why a deployment may not go now: the rule, what to tell people, and (CI) what CI said. */
export interface Refusal {
  rule: 'lock' | 'freeze' | 'window' | 'promotion' | 'ci' | 'branch';
  /** The stable code of the refusal (`DEPLOY.TARGET_LOCKED`, …). */
  code: string;
  message: string;
  gate?: GateRecord;
}

/**
 * How old a read of CI may be at each moment: at the decisive approval (minutes after the request),
 * and right before the send (seconds after the approval or the request, whose read stands).
 */
const CI_MAX_AGE_MS = { approval: 5_000, dispatch: 15_000 } as const;
/** A branch confirmed as the default or a protected one is trusted this long. */
const BRANCH_TRUST_MS = 60_000;

/**
 * What must still hold when a deployment goes: checked when it is requested, again at its decisive
 * approval, and again right before its dispatch is sent (minutes may pass in between):
 * - no admin's lock on the target;
 * - no freeze, and its deploy windows open (unless an admin's override with a second admin's
 *   approval sent it through them);
 * - the promotion order (a target with `promote-from` takes only what succeeded there, verified
 *   when that target verifies, and at least `min-soak` ago when set);
 * - CI, for a gated request no admin overrode: a check that turned red (or cannot be read) since
 *   refuses it;
 * - right before the send, that the branch the workflow runs from is still the repository's
 *   default branch or a protected one (confirmed at most a minute earlier; fails closed).
 * Rollbacks skip freezes, windows, the promotion order and CI: they restore a commit that passed
 * them when it was deployed there.
 */
@Injectable()
export class LaunchChecks {
  private readonly trustedBranches = new Map<string, number>();

  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly history: DeploymentHistory,
    private readonly verified: VerifiedDeployments,
    private readonly locks: TargetLocksService,
    private readonly schedule: TargetSchedule,
    private readonly ci: CiChecks,
    private readonly github: GithubClient,
    private readonly clock: Clock,
  ) {}

  async refusal(
    deployment: Deployment,
    moment: 'approval' | 'dispatch',
  ): Promise<Refusal | undefined> {
    const { service, environment } = deployment;
    // The bot's own hold after a failed verification lets its automatic rollback through.
    const lock = deployment.rollback?.automatic
      ? await this.locks.find(service, environment)
      : null;
    const heldForIt = lock?.by.id === AUTOMATIC.id;
    const locked = await (
      heldForIt ? Promise.resolve() : this.locks.refuseLocked(service, environment)
    ).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof AppError) return error;
        throw error;
      },
    );
    if (locked) return { rule: 'lock', code: locked.code, message: locked.message };
    if (!deployment.rollback) {
      // An admin's "Deploy anyway" covers what closed the target then, not a freeze made since.
      const closure = await this.schedule.closure(
        service,
        environment,
        undefined,
        deployment.scheduleOverride,
      );
      if (closure)
        return { rule: closure.kind, code: closure.error.code, message: closure.error.message };
    }
    if (!deployment.rollback) {
      const registered = await this.serviceOf(service);
      const promotion =
        registered && (await this.promotionRefusal(registered, environment, deployment.sha));
      if (promotion) return { rule: 'promotion', code: promotion.code, message: promotion.message };
      const ci = await this.ciRefusal(deployment, moment);
      if (ci) return ci;
    }
    if (moment === 'dispatch') return this.branchRefusal(deployment);
    return undefined;
  }

  /**
   * The promotion order: a target with `promote-from` takes only a SHA that succeeded there, and
   * was verified there when that target verifies its deployments; with `min-soak`, only once its
   * run there succeeded at least that long ago.
   */
  async promotionRefusal(
    service: Service,
    environment: string,
    sha: string,
  ): Promise<PromotionOrderError | undefined> {
    const target = service.targets?.[environment];
    const from = target?.promoteFrom;
    if (!from) return undefined;
    let since: Date | null;
    if (verificationOf(service, from)) {
      since = await this.verified.verifiedAt(service.name, from, sha);
      if (!since) return new PromotionOrderError(sha, environment, from, { unverified: true });
    } else {
      if (!(await this.history.hasSucceeded(service.name, from, sha)))
        return new PromotionOrderError(sha, environment, from);
      since = target.promoteMinSoakMs
        ? ((await this.history.findSuccessful(service.name, from, sha))?.finishedAt ?? null)
        : null;
    }
    const minSoak = target.promoteMinSoakMs;
    if (minSoak && since) {
      const left = new Date(since).getTime() + minSoak - this.clock.now().getTime();
      if (left > 0)
        return new PromotionOrderError(sha, environment, from, {
          // To the minute, rounded up: nobody waits for seconds.
          soakLeft: formatSpan(Math.ceil(left / 60_000) * 60_000),
        });
    }
    return undefined;
  }

  private async ciRefusal(
    deployment: Deployment,
    moment: 'approval' | 'dispatch',
  ): Promise<Refusal | undefined> {
    const gate = deployment.gate;
    if (!gate || gate.override || !deployment.source) return undefined;
    const judged = await this.ci.judge(
      { owner: deployment.source.owner, repo: deployment.source.repo, sha: deployment.sha },
      { mode: gate.mode, required: gate.required ?? [] },
      { waitUntil: gate.waitUntil, noChecksUntil: gate.noChecksUntil },
      CI_MAX_AGE_MS[moment],
    );
    // Still running is not red: the commit passed before, and a re-run does not take that back.
    if (judged.verdict !== 'failed' && judged.verdict !== 'unknown') return undefined;
    const failing = judged.checks
      .filter((check) => check.state === 'failed' || check.state === 'missing')
      .map((check) => `${check.name} (${check.detail})`)
      .slice(0, 3)
      .join(', ');
    const message =
      judged.verdict === 'unknown'
        ? `CI can no longer be read on \`${deployment.sha.slice(0, 7)}\` (${judged.reason}): the gate fails closed.`
        : `CI no longer passes on \`${deployment.sha.slice(0, 7)}\`: ${failing || 'no CI reported'}.`;
    return { rule: 'ci', code: 'DEPLOY.CI_FAILED', message, gate: judged };
  }

  /**
   * The workflow runs as defined on the branch it is dispatched on: that must still be the
   * repository's default branch or a protected one. Fails closed: GitHub not answering refuses.
   */
  private async branchRefusal(deployment: Deployment): Promise<Refusal | undefined> {
    const branch = deployment.dispatchRef;
    const source = deployment.source;
    if (!branch || !source) return undefined;
    const key = `${source.owner}/${source.repo}#${branch}`.toLowerCase();
    const now = this.clock.now().getTime();
    if ((this.trustedBranches.get(key) ?? 0) > now) return undefined;
    const refuse = (why: string): Refusal => ({
      rule: 'branch',
      code: 'DEPLOY.BRANCH_UNTRUSTED',
      message: `the workflow would run from \`${branch.slice(0, 60)}\`, ${why}`,
    });
    try {
      // The bot's own safety check (at most once a minute per branch): never a member's cost,
      // never held behind the bot's background work. A protected branch needs one request.
      const refusal = await unheld(() =>
        onBehalfOfTheBot(async () => {
          const info = await this.github.getBranchInfo(source.owner, source.repo, branch);
          if (info?.protected) return undefined;
          const { defaultBranch } = await this.github.getRepository(source.owner, source.repo);
          if (defaultBranch === branch) return undefined;
          return info
            ? refuse(
                `which is no longer the default branch of ${source.owner}/${source.repo} (now \`${defaultBranch.slice(0, 60)}\`) and is not protected.`,
              )
            : refuse(`which no longer exists in ${source.owner}/${source.repo}.`);
        }),
      );
      if (refusal) return refusal;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return refuse(
        `and GitHub could not confirm it is still the default or a protected branch: ${error.message}`,
      );
    }
    this.trustedBranches.set(key, now + BRANCH_TRUST_MS);
    return undefined;
  }

  private async serviceOf(name: string): Promise<Service | undefined> {
    try {
      return await this.registry.get(name);
    } catch (error) {
      if (error instanceof UnknownServiceError) return undefined;
      throw error;
    }
  }
}
