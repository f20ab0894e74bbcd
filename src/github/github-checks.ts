import type { CommitChecksRead, CommitStatusInfo } from './github.types';
import { GithubActions } from './github-actions';
import { toCheckRun, toCommitStatus } from './github.mapping';

/** What CI says about a commit: check runs and commit statuses. */
export class GithubChecks extends GithubActions {
  /**
   * What CI says about a commit, read conditionally on the ETags of the last read: its check
   * runs (the latest of each name per suite, `filter=latest`, with the App that reported each)
   * and every commit status, newest first, with its creator (not the combined status: that
   * keeps only the latest per context, and so hides who turned a failure into a success). A list
   * of one page that is unchanged (304) is `unchanged`; up to 5 pages of check runs and 3 of
   * statuses, the rest counted as unread.
   * https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
   * https://docs.github.com/en/rest/commits/statuses#list-commit-statuses-for-a-reference
   */
  async readCommitChecks(
    owner: string,
    repo: string,
    sha: string,
    etags: { runs?: string; statuses?: string } = {},
  ): Promise<CommitChecksRead> {
    const octokit = await this.octokit(owner, repo);
    try {
      const runs = await readPages(MAX_CHECK_PAGES, etags.runs, async (page, headers) => {
        const { data, headers: answer } = await octokit.rest.checks.listForRef({
          owner,
          repo,
          ref: sha,
          filter: 'latest',
          per_page: 100,
          page,
          headers,
        });
        return {
          items: data.check_runs.map(toCheckRun),
          total: data.total_count,
          etag: answer.etag,
        };
      });
      const statuses = await readPages(MAX_STATUS_PAGES, etags.statuses, async (page, headers) => {
        const { data, headers: answer } = await octokit.rest.repos.listCommitStatusesForRef({
          owner,
          repo,
          ref: sha,
          per_page: 100,
          page,
          headers,
        });
        const items: CommitStatusInfo[] = data.map((status) =>
          toCommitStatus(status, this.webHost),
        );
        // No total in this answer: a full page means there may be more.
        return { items, total: undefined, etag: answer.etag };
      });
      return { runs, statuses };
    } catch (error) {
      throw this.failure(error, owner, `the checks of ${sha.slice(0, 12)} in ${owner}/${repo}`);
    }
  }
}

/** Check runs read per commit: 500 at most (5 pages of 100). */
const MAX_CHECK_PAGES = 5;
/** Commit statuses read per commit: 300 at most (3 pages of 100, newest first). */
const MAX_STATUS_PAGES = 3;

/**
 * Reads a list page by page, the first conditionally on `etag` (a 304: `unchanged`), until a
 * page is short, the total is reached, or `maxPages` were read (the rest counted as unread:
 * the known total's remainder, or one more page's worth when GitHub gives no total).
 */
async function readPages<T>(
  maxPages: number,
  etag: string | undefined,
  readPage: (
    page: number,
    headers: Record<string, string>,
  ) => Promise<{ items: T[]; total: number | undefined; etag?: string }>,
): Promise<{ items: T[]; unread: number; etag?: string } | 'unchanged'> {
  const items: T[] = [];
  let firstEtag: string | undefined;
  let unread = 0;
  for (let page = 1; page <= maxPages; page++) {
    let answer;
    try {
      answer = await readPage(page, page === 1 && etag ? { 'if-none-match': etag } : {});
    } catch (error) {
      if (page === 1 && (error as { status?: number }).status === 304) return 'unchanged';
      throw error;
    }
    if (page === 1) firstEtag = answer.etag;
    items.push(...answer.items);
    const complete =
      answer.items.length < 100 || (answer.total !== undefined && items.length >= answer.total);
    // Only a list read whole in one page is read conditionally next time: a first page that did
    // not change says nothing of the pages after it.
    if (complete) return { items, unread: 0, etag: page === 1 ? firstEtag : undefined };
    if (page === maxPages) unread = answer.total !== undefined ? answer.total - items.length : 1;
  }
  return { items, unread, etag: undefined };
}
