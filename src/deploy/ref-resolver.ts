import { Injectable } from '@nestjs/common';
import { AppError } from '../../libs/errors';
import { GithubClient } from '../github/github.client';
import {
  allowedRefPatterns,
  branchGlobs,
  couldMatch,
  literalBranches,
  matchingPattern,
} from '../service-registry/ref-policy';
import { Service } from '../service-registry/service';
import { DeploymentHistory } from './deployment-history.repository';
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
    const rules = `allowed are ${patterns.join(', ')} (an admin changes them with /service refs)`;
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
      if (sha) return this.check(patterns, 'branch', name, sha, target, rules, ref);
    }
    if (!explicit || explicit[1] === 'tags') {
      const sha = await this.github.getTag(owner, repo, name);
      if (sha) return this.check(patterns, 'tag', name, sha, target, rules, ref);
    }
    if (!explicit && SHORT_SHA.test(ref)) return this.commit(service, environment, ref, patterns);
    throw new UnknownRefError(service, ref);
  }

  private check(
    patterns: string[],
    kind: 'branch' | 'tag',
    name: string,
    sha: string,
    target: string,
    rules: string,
    ref: string,
  ): ResolvedRef {
    const allowedBy = matchingPattern(patterns, kind, name);
    if (!allowedBy)
      throw new RefNotAllowedError(
        `${kind === 'branch' ? 'Branch' : 'Tag'} ${codeSpan(name)} is not allowed for ${target}: ${rules}.`,
      );
    return { ref, kind, sha, allowedBy };
  }

  private async commit(
    service: Service,
    environment: string,
    ref: string,
    patterns: string[],
  ): Promise<ResolvedRef> {
    const { owner, repo } = service;
    const sha = FULL_SHA.test(ref)
      ? ref.toLowerCase()
      : await this.github.getCommitSha(owner, repo, ref);
    if (!sha) throw new UnknownRefError(service, ref);
    if (await this.history.findSuccessful(service.name, environment, sha))
      return { ref, kind: 'commit', sha, allowedBy: `already deployed to ${environment}` };
    const checked: string[] = [];
    for (const branch of await this.candidateBranches(service, patterns)) {
      const comparison = await this.github
        .compareCommits(owner, repo, branch, sha)
        .catch(() => undefined);
      checked.push(branch);
      if (comparison?.status === 'behind' || comparison?.status === 'identical')
        return { ref, kind: 'commit', sha, allowedBy: `on branch:${branch}` };
    }
    throw new RefNotAllowedError(
      `Commit \`${sha.slice(0, 7)}\` is not on an allowed branch for ${service.name} → ${environment}` +
        `${checked.length ? ` (checked ${checked.join(', ')})` : ''} and has not been deployed there before. ` +
        'Deploy a branch or tag instead.',
    );
  }

  /** Branches a bare SHA is looked for on: the default branch first, named ones, then globs. */
  private async candidateBranches(service: Service, patterns: string[]): Promise<string[]> {
    const allowed = (branch: string) => matchingPattern(patterns, 'branch', branch) !== undefined;
    const ordered = [
      ...(allowed(service.defaultRef) ? [service.defaultRef] : []),
      ...literalBranches(patterns),
    ];
    if (branchGlobs(patterns).length) {
      const branches = await this.github.listBranches(service.owner, service.repo);
      ordered.push(...branches.map((branch) => branch.name).filter(allowed));
    }
    return [...new Set(ordered)].slice(0, MAX_BRANCHES_CHECKED);
  }
}
