import type { GithubEnvironments } from '../environments';
import { Caller, FakeDispatch, FakeRun, FULL_SHA } from '../model';
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
    answer: ({ state, caller, apiUrl, params, body }) =>
      dispatch(
        state,
        caller,
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
    // https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run:
    // `filter=latest` (the default) lists the jobs of the latest attempt only.
    method: 'GET',
    template: '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
    answer: ({ state, params, query }) => {
      const run = state.runs.get(Number(params.run_id));
      if (!run) return [404, { message: 'Not Found' }];
      const all = query.get('filter') === 'all';
      const jobs = [...state.jobs.values()].filter(
        (job) => job.runId === run.id && (all || job.runAttempt === run.runAttempt),
      );
      return [200, { total_count: jobs.length, jobs: jobs.map((job) => state.jobPayload(job)) }];
    },
  },
  {
    // https://docs.github.com/en/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run:
    // "GitHub Apps can only review their own custom deployment protection rules", with the
    // installation token the delivery's installation gives and Deployments (write)
    // (https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/creating-custom-deployment-protection-rules).
    // The body names the environment, and a state, or a comment alone; every job of the run
    // waiting on that environment is answered alike; 422 when none waits.
    method: 'POST',
    template: '/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule',
    answer: ({ state, caller, params, body }) => {
      if (caller.kind !== 'installation')
        return [
          403,
          {
            message: 'Resource not accessible by personal access token',
            documentation_url:
              'https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run',
          },
        ];
      const run = state.runs.get(Number(params.run_id));
      const ours = `${run?.owner}/${run?.repo}`.toLowerCase();
      if (!run || ours !== `${params.owner}/${params.repo}`.toLowerCase())
        return [404, { message: 'Not Found' }];
      const review = (body ?? {}) as {
        environment_name?: unknown;
        state?: unknown;
        comment?: unknown;
      };
      const decision =
        review.state === 'approved' || review.state === 'rejected' ? review.state : null;
      const valid =
        typeof review.environment_name === 'string' &&
        (decision !== null || (review.state === undefined && typeof review.comment === 'string')) &&
        (review.comment === undefined || typeof review.comment === 'string');
      if (!valid)
        return [
          422,
          {
            message:
              'Invalid request.\n\n"environment_name" and "state" (or "comment") are required.',
          },
        ];
      const answered = state.answerProtectionRule(
        run.id,
        review.environment_name as string,
        decision,
        (review.comment as string | undefined) ?? '',
      );
      if (!answered)
        return [
          422,
          { message: 'No pending custom deployment protection rule for this environment' },
        ];
      return [204];
    },
  },
];

/** https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event */
function dispatch(
  state: GithubEnvironments,
  caller: Caller,
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
    const actor = state.loginOf(caller);
    const run = state.createRun(owner, repo.name, workflow.id, refName, sha, inputs, { actor });
    dispatch.runId = run.id;
    // A job referencing the `environment` input's environment waits on its custom rule, and
    // GitHub asks the App (only once the fake delivers webhooks: tests without it see no wait).
    // https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/creating-custom-deployment-protection-rules
    if (state.webhooks.targeted && inputs.environment)
      void state.holdAtEnvironment(run, inputs.environment);
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
