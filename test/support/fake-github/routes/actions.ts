import { FakeDispatch, FakeRun, FULL_SHA } from '../model';
import type { GithubState } from '../state';
import { conditional, type Route } from './table';

/** GitHub Actions: workflows, the dispatch, runs and their jobs. */
export const actionRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/actions/workflows#get-a-workflow
    method: 'GET',
    template: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}',
    answer: ({ state, params }) => {
      const workflow = state.workflow(params.owner, params.repo, params.workflow_id);
      return [200, { id: workflow.id, name: workflow.name, path: workflow.path, state: 'active' }];
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
    answer: ({ state, apiUrl, params, body }) =>
      dispatch(
        state,
        apiUrl,
        params.owner,
        params.repo,
        params.workflow_id,
        body as { ref: string; inputs?: Record<string, string>; return_run_details?: boolean },
      ),
  },
  {
    // https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow:
    // newest first, `per_page` at most 100 (default 30), `status` a status or a conclusion,
    // `created` a date range; the answer carries an ETag, and a matching If-None-Match gets 304.
    method: 'GET',
    template: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
    answer: ({ state, params, query, ifNoneMatch }) => {
      const workflow = state.workflow(params.owner, params.repo, params.workflow_id);
      const createdFloor = query.get('created')?.replace(/^>=/, '');
      const status = query.get('status');
      const runs = [...state.runs.values()]
        .filter((run) => run.workflowId === workflow.id)
        .filter((run) => !query.get('event') || run.event === query.get('event'))
        .filter((run) => !query.get('branch') || run.headBranch === query.get('branch'))
        .filter((run) => !status || run.status === status || run.conclusion === status)
        .filter((run) => !createdFloor || Date.parse(run.createdAt) >= Date.parse(createdFloor))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const payload = {
        total_count: runs.length,
        workflow_runs: runs
          .slice((page - 1) * perPage, page * perPage)
          .map((run: FakeRun) => state.runPayload(run)),
      };
      return conditional(payload, ifNoneMatch);
    },
  },
  {
    // https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run
    method: 'GET',
    template: '/repos/{owner}/{repo}/actions/runs/{run_id}',
    answer: ({ state, params, ifNoneMatch }) => {
      const run = state.runs.get(Number(params.run_id));
      if (!run) return [404, { message: 'Not Found' }];
      return conditional(state.runPayload(run), ifNoneMatch);
    },
  },
  {
    // https://docs.github.com/en/rest/actions/workflow-runs#cancel-a-workflow-run
    method: 'POST',
    template: '/repos/{owner}/{repo}/actions/runs/{run_id}/cancel',
    answer: ({ state, params }) => {
      const run = state.runs.get(Number(params.run_id));
      if (!run) return [404, { message: 'Not Found' }];
      if (run.status === 'completed')
        return [409, { message: 'Cannot cancel a workflow run that is completed.' }];
      state.setRunStatus(run.id, 'completed', 'cancelled');
      return [202, {}];
    },
  },
  {
    // https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run
    method: 'GET',
    template: '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
    answer: ({ state, params }) => {
      const run = state.runs.get(Number(params.run_id));
      if (!run) return [404, { message: 'Not Found' }];
      const jobs = [...state.jobs.values()].filter((job) => job.runId === run.id);
      return [200, { total_count: jobs.length, jobs: jobs.map((job) => state.jobPayload(job)) }];
    },
  },
];

/** https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event */
function dispatch(
  state: GithubState,
  apiUrl: string,
  owner: string,
  name: string,
  workflowName: string,
  body: { ref: string; inputs?: Record<string, string>; return_run_details?: boolean },
): [number, unknown?] {
  const repo = state.repo(owner, name);
  const workflow = state.workflow(owner, name, workflowName);
  if (state.dispatchMode === 'reject-return-run-details' && body.return_run_details !== undefined) {
    return [422, { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' }];
  }
  // The ref is a branch or a tag (by name or fully qualified), never a SHA.
  const qualified = /^refs\/(heads|tags)\/(.+)$/.exec(body.ref);
  const refName = qualified ? qualified[2] : body.ref;
  const sha = qualified
    ? (qualified[1] === 'heads' ? repo.branches : repo.tags).get(refName)
    : (repo.branches.get(refName) ?? repo.tags.get(refName));
  if (!sha || FULL_SHA.test(body.ref)) return [422, { message: `No ref found for: ${body.ref}` }];
  const inputs = body.inputs ?? {};
  // GitHub refuses inputs the workflow does not declare.
  const unexpected = workflow.inputs
    ? Object.keys(inputs).filter((input) => !workflow.inputs!.includes(input))
    : [];
  if (unexpected.length)
    return [422, { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` }];
  const dispatch: FakeDispatch = {
    owner,
    repo: repo.name,
    workflow: workflowName,
    ref: body.ref,
    inputs,
    returnRunDetails: Boolean(body.return_run_details),
  };
  state.dispatches.push(dispatch);
  if (state.createRunsOnDispatch) {
    dispatch.runId = state.createRun(owner, repo.name, workflow.id, refName, sha, inputs).id;
  }
  if (state.dispatchMode === 'details' && body.return_run_details && dispatch.runId) {
    const run = state.runs.get(dispatch.runId)!;
    return [
      200,
      {
        workflow_run_id: run.id,
        run_url: `${apiUrl}/repos/${owner}/${name}/actions/runs/${run.id}`,
        html_url: state.runHtmlUrl(run),
      },
    ];
  }
  return [204];
}
