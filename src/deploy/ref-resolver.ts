import { Injectable } from '@nestjs/common';
import { AppError } from '../../libs/errors';
import { GithubClient } from '../github/github.client';
import {
  allowedRefPatterns,
  couldMatch,
  literalBranches,
  matchingPattern,
} from '../service-registry/ref-policy';
import { Service } from '../service-registry/service';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { codeSpan, plainText } from '../../libs/text';

/** A ref as the bot will deploy it: what was asked, what it is, the commit, and which rule allowed it. */
export interface ResolvedRef {
  ref: string;
  kind: 'branch' | 'tag' | 'commit';
  sha: string;
  allowedBy: string;
}

/** A bare SHA is looked for on at most this many allowed branches (one compare each). */
const MAX_BRANCHES_CHECKED = 10;
const FULL_SHA = /^[0-9a-f]{40}$/i;
const SHORT_SHA = /^[0-9a-f]{7,39}$/i;
const PULL_REF = /^(?:refs\/)?pull\//i;

export class RefNotAllowedError extends AppError {
  constructor(message: string) {
    super('DEPLOY.REF_NOT_ALLOWED', message, 403);
  }
}

export class UnknownRefError extends AppError {
  constructor(service: Service, ref: string) {
    super(
      'GITHUB.UNKNOWN_REF',
      `${service.owner}/${service.repo} has no branch, tag or commit "${plainText(ref, 60)}".`,
      404,
    );
  }
}

/**
 * Which commit a requested ref means, and whether the target allows it: branches and tags by the
 * target's patterns; a bare SHA only when an allowed branch contains it or it already succeeded
 * on that target. Pull request refs, and commits reachable only from them, are never deployed.
 * Branches are read as branches and tags as tags, never through an API that would also resolve
 * `refs/pull/…`.
 */
@Injectable()
export class RefResolver {
  constructor(
    private readonly github: GithubClient,
    private readonly history: DeploymentHistory,
  ) {}

  async resolve(service: Service, environment: string, input: string): Promise<ResolvedRef> {
    const ref = input.trim();
    const { patterns } = allowedRefPatterns(service, environment);
    const target = `${service.name} → ${environment}`;
    const rules = `allowed are ${patterns.map((p) => codeSpan(p)).join(', ')} (an admin changes them with /service refs)`;
    if (PULL_REF.test(ref))
      throw new RefNotAllowedError(
        'Pull request refs are never deployed: merge the pull request, then deploy its branch.',
      );
    const explicit = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
    if (!explicit && FULL_SHA.test(ref)) return this.commit(service, environment, ref, patterns);
    const name = explicit ? explicit[2] : ref;
    if (!SHORT_SHA.test(ref) && !couldMatch(patterns, name))
      throw new RefNotAllowedError(`${codeSpan(name)} is not allowed for ${target}: ${rules}.`);

    const { owner, repo } = service;
    if (!explicit || explicit[1] === 'heads') {
      const sha = await this.github.getBranch(owner, repo, name);
      if (sha) return { ref, kind: 'branch', sha, allowedBy: allowed('branch', name) };
    }
    if (!explicit || explicit[1] === 'tags') {
      const sha = await this.github.getTag(owner, repo, name);
      if (sha) {
        const allowedBy = allowed('tag', name);
        // Anyone who can push can tag any commit: on a protected target a tag counts only for
        // a commit an allowed branch holds (or one that already ran there).
        if (service.protectedEnvironments.includes(environment))
          await this.requireOnAllowedBranch(
            service,
            environment,
            sha,
            patterns,
            `Tag ${codeSpan(name)} points at commit`,
          );
        return { ref, kind: 'tag', sha, allowedBy };
      }
    }
    if (!explicit && SHORT_SHA.test(ref)) return this.commit(service, environment, ref, patterns);
    throw new UnknownRefError(service, ref);

    function allowed(kind: 'branch' | 'tag', refName: string): string {
      const pattern = matchingPattern(patterns, kind, refName);
      if (!pattern)
        throw new RefNotAllowedError(
          `${kind === 'branch' ? 'Branch' : 'Tag'} ${codeSpan(refName)} is not allowed for ${target}: ${rules}.`,
        );
      return pattern;
    }
  }

  private async commit(
    service: Service,
    environment: string,
    ref: string,
    patterns: string[],
  ): Promise<ResolvedRef> {
    const sha = FULL_SHA.test(ref)
      ? ref.toLowerCase()
      : await this.github.getCommitSha(service.owner, service.repo, ref);
    if (!sha) throw new UnknownRefError(service, ref);
    const allowedBy = await this.requireOnAllowedBranch(
      service,
      environment,
      sha,
      patterns,
      'Commit',
    );
    return { ref, kind: 'commit', sha, allowedBy };
  }

  /**
   * Which rule lets `sha` go to the target: it already succeeded there, or an allowed branch
   * contains it (GitHub's compare from the branch's head says `behind` or `identical`).
   */
  private async requireOnAllowedBranch(
    service: Service,
    environment: string,
    sha: string,
    patterns: string[],
    what: string,
  ): Promise<string> {
    if (await this.history.findSuccessful(service.name, environment, sha))
      return `already deployed to ${environment}`;
    const checked: string[] = [];
    for (const branch of await this.candidateBranches(service, patterns)) {
      // Compared from the branch's SHA, never its name: a tag of the same name cannot stand in.
      const comparison = await this.github
        .compareCommits(service.owner, service.repo, branch.sha, sha)
        .catch((error: { code?: string }) => {
          // No common history: not on that branch. Anything else is not known, so not allowed.
          if (error.code === 'GITHUB.NOT_FOUND') return undefined;
          throw error;
        });
      checked.push(codeSpan(branch.name));
      if (comparison?.status === 'behind' || comparison?.status === 'identical')
        return `on branch:${branch.name}`;
    }
    throw new RefNotAllowedError(
      `${what} ${codeSpan(sha.slice(0, 7))} is not on an allowed branch for ${service.name} → ${environment}` +
        `${checked.length ? ` (checked ${checked.join(', ')})` : ''} and has not been deployed there before. ` +
        'Deploy a branch or tag instead.',
    );
  }

  /** Allowed branches with their heads, the default branch first: at most MAX_BRANCHES_CHECKED. */
  private async candidateBranches(
    service: Service,
    patterns: string[],
  ): Promise<Array<{ name: string; sha: string }>> {
    const isAllowed = (branch: string) => matchingPattern(patterns, 'branch', branch) !== undefined;
    const listed = (await this.github.listBranches(service.owner, service.repo)).filter((b) =>
      isAllowed(b.name),
    );
    const wanted = [
      ...(isAllowed(service.defaultRef) ? [service.defaultRef] : []),
      ...literalBranches(patterns),
      ...listed.map((branch) => branch.name),
    ];
    const candidates: Array<{ name: string; sha: string }> = [];
    for (const name of new Set(wanted)) {
      if (candidates.length >= MAX_BRANCHES_CHECKED) break;
      const sha =
        listed.find((branch) => branch.name === name)?.sha ??
        (await this.github.getBranch(service.owner, service.repo, name));
      if (sha) candidates.push({ name, sha });
    }
    return candidates;
  }
}
