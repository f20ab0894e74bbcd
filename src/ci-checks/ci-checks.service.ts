import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import type { GateMode, GateRecord } from '../deployments/deployment';
import { LEASE_MS } from '../deployments/leases';
import { GithubClient } from '../github/github.client';
import type { CommitChecks, CommitChecksRead } from '../github/github.types';
import { judgeChecks } from './ci-checks.rules';
import { CachedChecks, CommitChecksStore } from './commit-checks.store';

/** A gated target: its mode and, for `required`, the checks that must pass (maybe pinned). */
export interface TargetGate {
  mode: Exclude<GateMode, 'off'>;
  required: string[];
}

/** The commit judged: where it lives and which it is. */
export interface JudgedCommit {
  owner: string;
  repo: string;
  sha: string;
}

/**
 * What CI says about a commit, for a gate: the commit's checks read through one shared copy per
 * commit (conditional requests; at most one read per `maxAgeMs` whatever the number of requests
 * and instances asking), then judged by the gate's rules (ci-checks.rules.ts). Never throws for
 * GitHub: a failure to read is the verdict `unknown`, which refuses (the gate fails closed).
 */
@Injectable()
export class CiChecks {
  private readonly logger = new Logger('CiChecks');

  constructor(
    private readonly github: GithubClient,
    private readonly store: CommitChecksStore,
    private readonly clock: Clock,
  ) {}

  async judge(
    commit: JudgedCommit,
    gate: TargetGate,
    timing: { waitUntil: Date; noChecksUntil?: Date },
    maxAgeMs: number,
  ): Promise<GateRecord> {
    const checkedAt = this.clock.now();
    const base = {
      mode: gate.mode,
      ...(gate.mode === 'required' ? { required: gate.required } : {}),
      checkedAt,
      waitUntil: timing.waitUntil,
      ...(timing.noChecksUntil ? { noChecksUntil: timing.noChecksUntil } : {}),
    };
    try {
      const checks = await this.read(commit, maxAgeMs);
      const judged = judgeChecks(gate.mode, gate.required, checks, {
        now: checkedAt,
        noChecksUntil: timing.noChecksUntil,
      });
      return { ...base, ...judged };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Fail closed: what cannot be read does not pass.
      return {
        ...base,
        verdict: 'unknown',
        total: 0,
        pending: 0,
        checks: [],
        reason: error.message,
      };
    }
  }

  /** The commit's checks, at most `maxAgeMs` old (or as another reader left them a moment ago). */
  private async read(commit: JudgedCommit, maxAgeMs: number): Promise<CommitChecks> {
    const key = `${commit.owner}/${commit.repo}@${commit.sha}`.toLowerCase();
    const now = this.clock.now();
    const until = new Date(now.getTime() + LEASE_MS);
    const claim = await this.store.claimRead(key, now, new Date(now.getTime() - maxAgeMs), until);
    const fresh = claim.cached?.readAt && claim.cached.readAt.getTime() > now.getTime() - maxAgeMs;
    if (!claim.claimed && fresh) return claim.cached!.checks;
    try {
      const read = await this.github.readCommitChecks(
        commit.owner,
        commit.repo,
        commit.sha,
        claim.cached?.etags,
      );
      const merged = merge(read, claim.cached);
      // Dated when the read began: a slow read is never taken for a newer one than it is.
      await this.store
        .save(key, merged, now)
        .catch((error: Error) =>
          this.logger.warn(`Keeping the checks of ${key}: ${error.message}`),
        );
      return merged.checks;
    } catch (error) {
      if (claim.claimed) await this.store.release(key, until).catch(() => undefined);
      throw error;
    }
  }
}

/** A conditional read over the copy it was conditional on: an unchanged list is the copy's. */
function merge(
  read: CommitChecksRead,
  cached: CachedChecks | undefined,
): { checks: CommitChecks; etags: CachedChecks['etags'] } {
  const runs =
    read.runs === 'unchanged'
      ? {
          items: cached?.checks.runs ?? [],
          unread: cached?.checks.unread?.runs ?? 0,
          etag: cached?.etags.runs,
        }
      : read.runs;
  const statuses =
    read.statuses === 'unchanged'
      ? {
          items: cached?.checks.statuses ?? [],
          unread: cached?.checks.unread?.statuses ?? 0,
          etag: cached?.etags.statuses,
        }
      : read.statuses;
  return {
    checks: {
      runs: runs.items,
      statuses: statuses.items,
      ...(runs.unread || statuses.unread
        ? { unread: { runs: runs.unread, statuses: statuses.unread } }
        : {}),
    },
    etags: {
      ...(runs.etag ? { runs: runs.etag } : {}),
      ...(statuses.etag ? { statuses: statuses.etag } : {}),
    },
  };
}
