import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import {
  Deployment,
  DeploymentStatus,
  GithubDeploymentState,
  isTerminal,
} from '../deployments/deployment';
import { DeploymentGithubStore, GithubSyncResult, GithubSyncState } from './github-record.store';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { LEASE_MS } from '../deployments/leases';
import { GithubClient } from '../github/github.client';
import { GithubError, mayPass } from '../github/github.errors';

/** The deployment status GitHub is told for each of the bot's (none: nothing to tell). */
export const GITHUB_STATE_OF: Partial<Record<DeploymentStatus, GithubDeploymentState>> = {
  dispatched: 'queued',
  queued: 'queued',
  in_progress: 'in_progress',
  success: 'success',
  failure: 'failure',
  timed_out: 'error',
  dispatch_failed: 'error',
  cancelled: 'inactive',
};

/**
 * Failures that may pass are retried after 2 s, 4 s … up to 5 minutes. After this many, a
 * final status is given up on (noted); a deployment still running keeps being retried.
 */
export const MAX_ATTEMPTS = 10;
/** How long a dispatch waits for GitHub to create its deployment record. */
export const CREATE_WAIT_MS = 5_000;

function backoffMs(attempts: number): number {
  return Math.min(300_000, 2_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The deployment as GitHub's Deployments API shows it (the service's mode `bot`): created just
 * before the workflow dispatch, for the resolved SHA, then one deployment status per step of
 * the run. GitHub failing here never stops or changes a deploy: a refusal is noted on the
 * deployment (its message shows it), a failure that may pass is retried.
 */
@Injectable()
export class GithubDeploymentsService {
  private readonly logger = new Logger('GithubDeployments');

  constructor(
    private readonly github: GithubClient,
    private readonly store: DeploymentGithubStore,
    private readonly history: DeploymentHistory,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates GitHub's deployment for one the dispatcher is about to dispatch. Never throws: a
   * refusal (409, 422, a missing permission) is noted, a failure that may pass is left to the
   * sync, which looks for the deployment before creating it.
   */
  async createBeforeDispatch(deployment: Deployment): Promise<void> {
    if (!deployment.githubDeployment || deployment.githubDeployment.id) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      // The dispatch waits for this at most CREATE_WAIT_MS; a later answer is still recorded.
      // The request itself is abandoned when the wait ends: the sync never looks for a record
      // whose creation is still on its way (it would create a second).
      const created = this.create(deployment, CREATE_WAIT_MS).then((id) =>
        this.store.recordCreated(deployment.id, id),
      );
      created.catch(() => undefined);
      await Promise.race([
        created,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new GithubError('GITHUB.UNREACHABLE', 'GitHub did not answer in time.')),
            CREATE_WAIT_MS,
          );
        }),
      ]);
    } catch (error) {
      if (mayPass(error)) {
        this.logger.warn(
          `GitHub's deployment for ${deployment.id} not created yet: ${(error as Error).message}`,
        );
        return;
      }
      await this.store
        .recordError(
          deployment.id,
          `not recorded on GitHub: ${(error as Error).message}`,
          this.clock.now(),
        )
        .catch((stored: Error) =>
          this.logger.warn(`Noting GitHub's refusal on ${deployment.id} failed: ${stored.message}`),
        );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Brings GitHub's record of `deployment` up to its status: creates it when the dispatcher
   * could not (looking first for one made by a try whose answer was lost), posts the status,
   * and for a successful rollback marks the deployment it replaced inactive.
   */
  async sync(deployment: Deployment, state: GithubSyncState): Promise<GithubSyncResult> {
    const record = deployment.githubDeployment!;
    const wanted = GITHUB_STATE_OF[deployment.status];
    const terminal = isTerminal(deployment.status);
    const done: GithubSyncResult = { syncedStatus: deployment.status, close: terminal };
    // Never dispatched (rejected, expired, cancelled while waiting), or GitHub refused it.
    if (!wanted || (!record.id && (record.error || !deployment.dispatchRequestedAt)))
      return { ...done, close: terminal || Boolean(record.error) };
    try {
      const id = record.id ?? (await this.findOrCreate(deployment));
      let replacedInactive = state.replacedInactive;
      // Renewed right before each post: a worker that lost its lease posts nothing (what it
      // would record is ignored anyway), so an older status never lands after a newer one.
      const lost = { retryAt: this.clock.now() };
      if (wanted !== record.state) {
        if (!(await this.stillHeld(deployment.id, state))) return lost;
        await this.post(deployment, id, wanted);
      }
      if (wanted === 'success' && deployment.rollback && !replacedInactive) {
        if (!(await this.stillHeld(deployment.id, state))) return lost;
        replacedInactive = await this.markReplacedInactive(deployment);
      }
      return { ...done, state: wanted, replacedInactive };
    } catch (error) {
      const reason = (error as Error).message;
      if (mayPass(error) && (state.attempts + 1 < MAX_ATTEMPTS || !terminal)) {
        this.logger.debug(`Will retry GitHub's record of ${deployment.id}: ${reason}`);
        return { retryAt: new Date(this.clock.now().getTime() + backoffMs(state.attempts + 1)) };
      }
      this.logger.warn(`GitHub's record of ${deployment.id} is not kept up: ${reason}`);
      await this.store.recordError(
        deployment.id,
        `GitHub's record not updated: ${reason}`,
        this.clock.now(),
      );
      return { ...done, close: true };
    }
  }

  private stillHeld(id: string, state: GithubSyncState): Promise<boolean> {
    if (!state.lease) return Promise.resolve(true);
    return this.store.renew(id, state.lease, this.clock.now(), LEASE_MS);
  }

  private async findOrCreate(deployment: Deployment): Promise<number> {
    const { owner, repo } = deployment.source!;
    const found = await this.github.findDeployment(
      owner,
      repo,
      deployment.sha,
      deployment.environment,
      deployment.id,
    );
    const id = found ?? (await this.create(deployment));
    // Another worker may have recorded one first: that one is the deployment's.
    return (await this.store.recordCreated(deployment.id, id)) ?? id;
  }

  private create(deployment: Deployment, waitMs?: number): Promise<number> {
    const { owner, repo } = deployment.source!;
    // Discord ids only: the payload is readable by anyone who can read the repository, and any
    // `on: deployment` workflow gets it as its event.
    const approvers = deployment.approval?.approvals.map(({ id }) => ({ id })) ?? [];
    return this.github.createDeployment(
      {
        owner,
        repo,
        sha: deployment.sha,
        environment: deployment.environment,
        production: deployment.githubDeployment!.production,
        description: `${deployment.id}: ${deployment.service} to ${deployment.environment}`,
        payload: {
          deployment_id: deployment.id,
          service: deployment.service,
          requester: { id: deployment.requester.id },
          approvers,
          ...(deployment.rollback ? { rollback_of: deployment.rollback.of } : {}),
          ...(deployment.gate?.override
            ? { ci_overridden_by: { id: deployment.gate.override.by.id } }
            : {}),
        },
      },
      waitMs,
    );
  }

  private post(deployment: Deployment, id: number, state: GithubDeploymentState): Promise<void> {
    const { owner, repo } = deployment.source!;
    const environmentUrl = deployment.githubDeployment?.environmentUrl;
    return this.github.createDeploymentStatus({
      owner,
      repo,
      deploymentId: id,
      state,
      description: describe(deployment),
      ...(deployment.runUrl ? { logUrl: deployment.runUrl } : {}),
      ...(environmentUrl && state === 'success' ? { environmentUrl } : {}),
    });
  }

  /** A rollback that succeeded is what runs now: the deployment it replaced is not. */
  private async markReplacedInactive(rollback: Deployment): Promise<boolean> {
    const replaced = await this.history.findById(rollback.rollback!.of);
    const id = replaced?.githubDeployment?.id;
    if (!replaced?.source || !id) return false;
    await this.github.createDeploymentStatus({
      owner: replaced.source.owner,
      repo: replaced.source.repo,
      deploymentId: id,
      state: 'inactive',
      description: `rolled back by ${rollback.id}`,
    });
    return true;
  }
}

function describe(deployment: Deployment): string {
  const words: Partial<Record<DeploymentStatus, string>> = {
    dispatched: 'workflow dispatched',
    queued: 'run queued',
    in_progress: 'run in progress',
    success: 'deployed',
    failure: 'run failed',
    timed_out: 'no conclusion in time',
    dispatch_failed: 'dispatch failed',
    cancelled: 'cancelled',
  };
  return `${deployment.id}: ${words[deployment.status] ?? deployment.status}`;
}
