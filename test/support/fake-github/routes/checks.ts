import { conditional, page, type Route } from './table';

/** What CI says about a commit: check runs, commit statuses, the combined status. */
export const checkRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    answer: ({ state, params, query, ifNoneMatch }) => {
      const repo = state.repo(params.owner, params.repo);
      const sha = state.resolve(repo, params.ref);
      if (!sha) return [422, { message: `No commit found for SHA: ${params.ref}` }];
      const all = repo.checkRuns.get(sha) ?? [];
      // filter=latest (the default): the most recent run of each name.
      const runs =
        query.get('filter') === 'all'
          ? all
          : all.filter((run) => !all.some((other) => other.name === run.name && other.id > run.id));
      const perPage = Number(query.get('per_page') ?? 30);
      const number = Number(query.get('page') ?? 1);
      const listed = [...runs].reverse().slice((number - 1) * perPage, number * perPage);
      return conditional(
        {
          total_count: runs.length,
          check_runs: listed.map((run) => ({
            id: run.id,
            name: run.name,
            head_sha: sha,
            status: run.status,
            conclusion: run.conclusion,
            html_url: `https://github.example/${repo.owner}/${repo.name}/runs/${run.id}`,
            app: { id: run.app.length, slug: run.app, name: run.app },
          })),
        },
        ifNoneMatch,
      );
    },
  },
  {
    // https://docs.github.com/en/rest/commits/statuses#list-commit-statuses-for-a-reference:
    // every status, newest first, each with its creator; conditional like every GET.
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/statuses',
    answer: ({ state, params, query, ifNoneMatch }) => {
      const repo = state.repo(params.owner, params.repo);
      const sha = state.resolve(repo, params.ref);
      if (!sha) return [404, { message: `No commit found for SHA: ${params.ref}` }];
      const listed = page([...(repo.statuses.get(sha) ?? [])].reverse(), query);
      return conditional(
        listed.map((status) => ({
          id: status.id,
          state: status.state,
          context: status.context,
          description: null,
          target_url: status.targetUrl ?? null,
          created_at: status.createdAt,
          updated_at: status.createdAt,
          creator: { login: status.creator, id: status.creator.length, type: 'User' },
        })),
        ifNoneMatch,
      );
    },
  },
  {
    // https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/status',
    answer: ({ state, params }) => {
      const repo = state.repo(params.owner, params.repo);
      const sha = state.resolve(repo, params.ref);
      if (!sha) return [404, { message: `No commit found for SHA: ${params.ref}` }];
      const latest = new Map<string, { context: string; state: string; targetUrl?: string }>();
      for (const status of repo.statuses.get(sha) ?? []) latest.set(status.context, status);
      const statuses = [...latest.values()];
      const combined = statuses.some((x) => x.state === 'failure' || x.state === 'error')
        ? 'failure'
        : statuses.some((x) => x.state === 'pending') || statuses.length === 0
          ? 'pending'
          : 'success';
      return [
        200,
        {
          state: combined,
          sha,
          total_count: statuses.length,
          statuses: statuses.map((status) => ({
            context: status.context,
            state: status.state,
            target_url: status.targetUrl ?? null,
          })),
        },
      ];
    },
  },
];
