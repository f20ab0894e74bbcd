import type { BranchInfo, Comparison, RepositoryInfo } from './github.types';
import { GithubBase } from './github-base';
import { isNotFound, toCommitLine } from './github.mapping';

/** Repositories, branches, tags, commits and comparisons. */
export class GithubRepos extends GithubBase {
  async getRepository(owner: string, repo: string): Promise<RepositoryInfo> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.get({ owner, repo });
      return { fullName: data.full_name, defaultBranch: data.default_branch };
    } catch (error) {
      throw this.failure(error, owner, `repository ${owner}/${repo}`);
    }
  }
  /** The commit a branch points at; null when the repository has no such branch. */
  async getBranch(owner: string, repo: string, branch: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      // GitHub answers for a renamed branch with the branch it became: that is not this one.
      return data.name === branch ? data.commit.sha : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `branch ${branch} in ${owner}/${repo}`);
    }
  }
  /** A branch and whether it is protected; null when the repository has no such branch. */
  async getBranchInfo(owner: string, repo: string, branch: string): Promise<BranchInfo | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      if (data.name !== branch) return null;
      return { name: data.name, sha: data.commit.sha, protected: Boolean(data.protected) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `branch ${branch} in ${owner}/${repo}`);
    }
  }
  /** The commit a tag points at (annotated tags followed); null when there is no such tag. */
  async getTag(owner: string, repo: string, tag: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` });
      if (data.object.type !== 'tag') return data.object.sha;
      const annotated = await octokit.rest.git.getTag({
        owner,
        repo,
        tag_sha: data.object.sha,
      });
      return annotated.data.object.sha;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.failure(error, owner, `tag ${tag} in ${owner}/${repo}`);
    }
  }
  /** The full SHA of a commit given by its SHA or a prefix of it; null when there is none. */
  async getCommitSha(owner: string, repo: string, sha: string): Promise<string | null> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getCommit({ owner, repo, ref: sha });
      return data.sha;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422) return null;
      throw this.failure(error, owner, `commit ${sha.slice(0, 12)} in ${owner}/${repo}`);
    }
  }
  /** The repository's branches, first `limit` by name (one request). */
  async listBranches(
    owner: string,
    repo: string,
    limit = 100,
  ): Promise<Array<{ name: string; sha: string }>> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.listBranches({
        owner,
        repo,
        per_page: limit,
      });
      return data.map((branch) => ({ name: branch.name, sha: branch.commit.sha }));
    } catch (error) {
      throw this.failure(error, owner, `the branches of ${owner}/${repo}`);
    }
  }
  /** How `head` relates to `base`, and the commits `head` has that `base` lacks. */
  async compareCommits(
    owner: string,
    repo: string,
    base: string,
    head: string,
  ): Promise<Comparison> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
        owner,
        repo,
        basehead: `${base}...${head}`,
        per_page: 100,
      });
      return {
        status: data.status,
        aheadBy: data.ahead_by,
        behindBy: data.behind_by,
        url: data.html_url,
        commits: data.commits.map(toCommitLine),
      };
    } catch (error) {
      throw this.failure(
        error,
        owner,
        `the comparison ${base.slice(0, 7)}...${head.slice(0, 7)} in ${owner}/${repo}`,
      );
    }
  }
  /**
   * When the commits a deployment of `head` brings were committed (their committer dates), oldest
   * first: those `head` has that `base` lacks (at most `limit`, of `total`), or `head` alone without
   * a base. Dates are what the commits claim, unchecked by GitHub.
   * https://docs.github.com/en/rest/commits/commits#compare-two-commits (paginated, 100 a page)
   */
  async commitDates(
    owner: string,
    repo: string,
    base: string | undefined,
    head: string,
    limit: number,
  ): Promise<{ total: number; dates: Date[] }> {
    const octokit = await this.octokit(owner, repo);
    const dateOf = (commit: {
      commit: { committer?: { date?: string } | null; author?: { date?: string } | null };
    }) => new Date(commit.commit.committer?.date ?? commit.commit.author?.date ?? NaN);
    try {
      if (!base) {
        const { data } = await octokit.rest.repos.getCommit({ owner, repo, ref: head });
        return { total: 1, dates: [dateOf(data)] };
      }
      const dates: Date[] = [];
      let total = 0;
      for (let page = 1; dates.length < limit; page++) {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
          owner,
          repo,
          basehead: `${base}...${head}`,
          per_page: 100,
          page,
        });
        total = data.total_commits;
        dates.push(...data.commits.map(dateOf));
        if (data.commits.length < 100 || dates.length >= total) break;
      }
      return { total, dates: dates.slice(0, limit).filter((date) => !isNaN(date.getTime())) };
    } catch (error) {
      throw this.failure(error, owner, `the commits of ${head.slice(0, 7)} in ${owner}/${repo}`);
    }
  }

  /**
   * The Apps enabled (or not) as custom deployment protection rules of an environment;
   * `no-environment` when the repository has no environment of that name.
   */
  async listProtectionRuleApps(
    owner: string,
    repo: string,
    environment: string,
  ): Promise<Array<{ appId: number; slug: string; enabled: boolean }> | 'no-environment'> {
    const octokit = await this.octokit(owner, repo);
    try {
      const { data } = await octokit.rest.repos.getAllDeploymentProtectionRules({
        owner,
        repo,
        environment_name: environment,
      });
      return (data.custom_deployment_protection_rules ?? []).flatMap((rule) =>
        rule.app?.id === undefined
          ? []
          : [{ appId: rule.app.id, slug: rule.app.slug ?? '', enabled: Boolean(rule.enabled) }],
      );
    } catch (error) {
      if (isNotFound(error)) return 'no-environment';
      throw this.failure(
        error,
        owner,
        `the deployment protection rules of ${environment} in ${owner}/${repo}`,
      );
    }
  }
}
