import type { Route } from './table';

/** Repositories, branches, refs, commits and comparisons. */
export const repoRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/repos/repos#get-a-repository
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      return [
        200,
        {
          id: 1,
          name: repo.name,
          full_name: `${repo.owner}/${repo.name}`,
          default_branch: repo.defaultBranch,
          owner: { login: repo.owner },
        },
      ];
    },
  },
  {
    // https://docs.github.com/en/rest/branches/branches#get-a-branch
    method: 'GET',
    template: '/repos/{owner}/{repo}/branches/{branch}',
    rest: 'branch',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      const sha = repo.branches.get(params.branch);
      if (!sha) return [404, { message: 'Branch not found' }];
      return [
        200,
        { name: params.branch, commit: { sha }, protected: params.branch === repo.defaultBranch },
      ];
    },
  },
  {
    // https://docs.github.com/en/rest/branches/branches#list-branches
    method: 'GET',
    template: '/repos/{owner}/{repo}/branches',
    answer: ({ state, params, query }) => {
      const repo = state.repo(params.owner, params.repo);
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      const all = [...repo.branches.entries()].sort(([a], [b]) => a.localeCompare(b));
      return [
        200,
        all
          .slice((page - 1) * perPage, page * perPage)
          .map(([name, sha]) => ({ name, commit: { sha }, protected: false })),
      ];
    },
  },
  {
    // https://docs.github.com/en/rest/git/refs#get-a-reference
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/ref/{ref}',
    rest: 'ref',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      const kind = /^(heads|tags)\/(.+)$/.exec(params.ref);
      if (!kind) return [404, { message: 'Not Found' }];
      const sha = (kind[1] === 'heads' ? repo.branches : repo.tags).get(kind[2]);
      if (!sha) return [404, { message: 'Not Found' }];
      return [200, { ref: `refs/${params.ref}`, object: { sha, type: 'commit' } }];
    },
  },
  {
    // https://docs.github.com/en/rest/commits/commits#get-a-commit
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}',
    rest: 'ref',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      const sha = state.resolve(repo, params.ref);
      const commit = sha ? repo.commits.get(sha) : undefined;
      if (!commit) return [422, { message: `No commit found for SHA: ${params.ref}` }];
      return [200, state.commitPayload(repo, commit)];
    },
  },
  {
    // https://docs.github.com/en/rest/commits/commits#compare-two-commits
    method: 'GET',
    template: '/repos/{owner}/{repo}/compare/{basehead}',
    rest: 'basehead',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      const [baseRef, headRef] = params.basehead.split('...');
      const base = baseRef && state.resolve(repo, baseRef);
      const head = headRef && state.resolve(repo, headRef);
      if (!base || !head) return [404, { message: 'Not Found' }];
      const fromBase = state.ancestors(repo, base);
      const fromHead = state.ancestors(repo, head);
      const byOrder = (shas: string[]) =>
        shas.map((sha) => repo.commits.get(sha)!).sort((a, b) => a.order - b.order);
      const ahead = byOrder([...fromHead].filter((sha) => !fromBase.has(sha)));
      const behind = [...fromBase].filter((sha) => !fromHead.has(sha));
      const status =
        base === head
          ? 'identical'
          : behind.length === 0
            ? 'ahead'
            : ahead.length === 0
              ? 'behind'
              : 'diverged';
      return [
        200,
        {
          status,
          ahead_by: ahead.length,
          behind_by: behind.length,
          total_commits: ahead.length,
          html_url: `https://github.example/${repo.owner}/${repo.name}/compare/${baseRef}...${headRef}`,
          commits: ahead.slice(0, 250).map((c) => state.commitPayload(repo, c)),
        },
      ];
    },
  },
];
