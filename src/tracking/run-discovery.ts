import { Logger } from '@nestjs/common';
import { dispatchAskedAt, Deployment } from '../deployments/deployment';
import { DISPATCH_GRACE_MS, inMinutes } from '../deployments/deadlines';
import { DeploymentTransitions } from '../deployments/deployment-transitions.service';
import { GithubClient, RunInfo } from '../github/github.client';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { RunProgress } from './run-progress';
import { discoveryRetryMs, TrackingMode } from './run-schedule';
import { DeploymentTrackingStore, TrackedDeployment } from './tracking.store';

/**
 * Finding the run a dispatch started when GitHub did not name it: it answered 204 (GitHub
 * Enterprise Server 3.20 and older), its answer was lost (`dispatch_unknown`), or the dispatcher
 * died before recording it (`dispatching`). The run is looked for every few seconds for
 * DISPATCH_GRACE_MS from the send; not found by then, the deployment failed to dispatch, and
 * nothing is ever sent again. A run started on GitHub that the bot let through names its run.
 */
export class RunDiscovery {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly pollIntervalMs: number,
    private readonly github: GithubClient,
    private readonly registry: ServiceRegistryService,
    private readonly transitions: DeploymentTransitions,
    private readonly tracking: DeploymentTrackingStore,
    private readonly progress: RunProgress,
    private readonly modeOf: (deployment: Deployment, now: Date) => Promise<TrackingMode>,
  ) {}

  /** One look for the run of `deployment` (claimed, without a run): found, given up, or later. */
  async look(deployment: TrackedDeployment, now: Date): Promise<void> {
    const run = await this.discover(deployment);
    if (run) {
      const claimed = { ...deployment, runId: run.id, runUrl: run.htmlUrl };
      const unsure = ['dispatching', 'dispatch_unknown'].includes(deployment.status);
      await this.progress.apply(
        claimed,
        run,
        unsure ? { dispatchedAt: now } : {},
        await this.modeOf(deployment, now),
        { from: now, owner: deployment.leaseOwner },
      );
      return;
    }
    const lookingSince = (deployment.dispatchSentAt ?? dispatchAskedAt(deployment)).getTime();
    const unsure = deployment.status === 'dispatching' || deployment.status === 'dispatch_unknown';
    if (unsure && now.getTime() - lookingSince >= DISPATCH_GRACE_MS) {
      const reason = noRunReason(deployment);
      this.logger.warn(`${deployment.id}: ${reason}`);
      await this.transitions.move(deployment.id, 'dispatch_failed', {
        from: ['dispatching', 'dispatch_unknown'],
        releaseLease: deployment.leaseOwner,
        set: { failureReason: reason },
        note: reason,
      });
      return;
    }
    const next = new Date(now.getTime() + discoveryRetryMs(this.pollIntervalMs));
    await this.tracking.releaseCheck(deployment, next);
  }

  /**
   * Finds the deployment's run among the workflow's dispatch runs on its branch created since
   * the send (or the dispatch) and within DISPATCH_GRACE_MS of it: the earliest one no other
   * deployment has claimed, claimed atomically. When the service passes the deployment id to
   * the workflow (which puts it into its run-name), only a run whose title carries that id is
   * taken; without it, a run whose title names another commit is never taken.
   */
  async discover(deployment: Deployment): Promise<RunInfo | undefined> {
    const source = await this.registry.sourceOf(deployment);
    // A run started on GitHub (held by its protection rule) is known: it is taken, or nothing is.
    if (deployment.origin) {
      const { runId, runUrl } = deployment.origin;
      const answer = await this.github.getRun(source.owner, source.repo, runId);
      if (answer.notModified) return undefined;
      const linked = await this.transitions.linkRun(deployment.id, runId, runUrl ?? '', {
        thenMoved: true,
      });
      return linked ? answer.run : undefined;
    }
    const since = deployment.dispatchSentAt ?? dispatchAskedAt(deployment);
    const runs = await this.github.listDispatchRuns(
      source.owner,
      source.repo,
      source.workflow,
      await this.registry.dispatchRefOf(deployment),
      since,
    );
    const latest = since.getTime() + DISPATCH_GRACE_MS;
    const byId = Object.values(source.inputs).includes(deployment.id)
      ? new RegExp(`(^|[^0-9a-z-])${deployment.id}($|[^0-9a-z-])`)
      : undefined;
    const candidates = runs.filter(
      (run) =>
        Date.parse(run.createdAt) <= latest &&
        (byId
          ? byId.test(run.displayTitle)
          : !namesAnotherCommit(run.displayTitle, deployment.sha)),
    );
    const taken = await this.tracking.claimedRunIds(candidates.map((run) => run.id));
    for (const run of candidates) {
      if (taken.has(run.id)) continue;
      // The caller moves it along with the run next.
      if (await this.transitions.linkRun(deployment.id, run.id, run.htmlUrl, { thenMoved: true }))
        return run;
    }
    return undefined;
  }
}

/**
 * Why a dispatch whose run never appeared failed, in plain words: nothing was sent again either
 * way; when GitHub's answer was lost, what to check before deploying again.
 */
function noRunReason(deployment: Deployment): string {
  if (deployment.status !== 'dispatch_unknown')
    return 'GitHub never started a run for this dispatch; it was not re-dispatched';
  const workflow = deployment.source?.workflow ?? 'the workflow';
  return `GitHub's answer to the dispatch was lost, and no run of ${workflow} appeared within ${inMinutes(DISPATCH_GRACE_MS)} of it. Nothing was sent again: look at the workflow's runs on GitHub before deploying again`;
}

/**
 * A run title that names a commit (7 to 40 hex digits with a letter among them, as a `run-name`
 * showing the SHA input would; a date or a number is no commit) other than `sha`: someone else's
 * dispatch, never this deployment's run.
 */
function namesAnotherCommit(title: string, sha: string): boolean {
  const named = (title.toLowerCase().match(/\b[0-9a-f]{7,40}\b/g) ?? []).filter((word) =>
    /[a-f]/.test(word),
  );
  return named.length > 0 && !named.some((candidate) => sha.toLowerCase().startsWith(candidate));
}
