import { ChangeSummary, CommitSummary } from '../deployments/deployment';
import { GithubClient } from '../github/github.client';

/** Commits listed per direction; the count and the comparison link cover the rest. */
export const SHOWN_COMMITS = 10;

const none = { total: 0, commits: [] as CommitSummary[] };

/**
 * What deploying `targetSha` changes where `baseSha` runs now: the commits it adds and the ones
 * it takes away (a target behind or diverged from what runs now rolls those back). GitHub's
 * compare gives both directions; the second request is made only when something is removed.
 */
export async function summarizeChanges(
  github: GithubClient,
  repository: { owner: string; repo: string },
  baseSha: string | undefined,
  targetSha: string,
): Promise<ChangeSummary> {
  if (!baseSha) return { added: none, removed: none };
  if (baseSha === targetSha) return { baseSha, status: 'identical', added: none, removed: none };
  const { owner, repo } = repository;
  try {
    const forward = await github.compareCommits(owner, repo, baseSha, targetSha);
    const removed = forward.behindBy
      ? (await github.compareCommits(owner, repo, targetSha, baseSha)).commits
      : [];
    return {
      baseSha,
      status: forward.status,
      added: { total: forward.aheadBy, commits: forward.commits.slice(0, SHOWN_COMMITS) },
      removed: { total: forward.behindBy, commits: removed.slice(0, SHOWN_COMMITS) },
      url: forward.url,
    };
  } catch (error) {
    return { baseSha, added: none, removed: none, unavailable: (error as Error).message };
  }
}
