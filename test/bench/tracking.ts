/**
 * The tracking section of `npm run bench`: many runs in flight, followed by polling alone or
 * with webhooks, on one app per scenario against the loopback fakes.
 *
 * Each scenario records `runs` deployments in flight (in progress, each with a run on the fake
 * GitHub and a message on the fake Discord) over `repos` repositories, lets the app track them
 * for `windowMs` while counting every GitHub request, then ends the runs one after another over
 * one poll interval and measures how long each took to reach the bot's record.
 */
import { admittedRequest } from '../../src/admission/admitted-request';
import { DeploymentTransitions } from '../../src/deployments/deployment-transitions.service';
import { aService } from '../support/factories';
import { FakeDiscord } from '../support/fake-discord/fake-discord';
import { FakeGithub } from '../support/fake-github';
import { appConnection } from '../support/mongo';
import { startTestApp, testEnvironment } from '../support/test-app';
import { runWebhook, seedService } from '../support/deploys';
import { waitFor } from '../support/wait-for';

export interface TrackingScenario {
  runs: number;
  repos: number;
  webhooks: boolean;
}

export interface TrackingFigures extends TrackingScenario {
  /** GitHub requests per minute while the runs were in flight (304s included). */
  requestsPerMinute: number;
  /** Requests per (repository, workflow) per poll interval. */
  perWorkflowPerInterval: number;
  /** Requests per run per backstop period. */
  perRunPerBackstop: number;
  lagP50Ms: number;
  lagMaxMs: number;
  discordEditsPerDeployment: number;
  rssPerDeploymentKb: number;
  /** The same in the JavaScript heap after a GC (steadier than RSS at this scale). */
  heapPerDeploymentKb?: number;
}

export const TRACKING_SCENARIOS: TrackingScenario[] = [20, 60, 100].flatMap((runs) =>
  [runs, 5].flatMap((repos) => [false, true].map((webhooks) => ({ runs, repos, webhooks }))),
);

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Room for every run in flight (MAX_CONCURRENT_DEPLOYS allows 100 at most). */
const cap = (scenario: TrackingScenario) => Math.min(100, scenario.runs + 10);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function memoryKb(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / 1024, heap: heapUsed / 1024 };
}

export async function measureTrackingScenario(
  discord: FakeDiscord,
  github: FakeGithub,
  databaseUri: string,
  scenario: TrackingScenario,
  timing: { pollMs: number; backstopMs: number; windowMs: number },
  tag: string,
): Promise<TrackingFigures> {
  const repos = Array.from({ length: scenario.repos }, (_, i) => `${tag}-${i}`);
  const workflowIds = new Map(
    repos.map((repo) => [repo, github.addRepo('acme', repo).workflows[0].id]),
  );
  const app = await startTestApp(
    discord,
    github,
    testEnvironment(discord, github, {
      MONGODB_URI: databaseUri,
      DEPLOY_COOLDOWN_MS: '0',
      MAX_CONCURRENT_DEPLOYS: String(cap(scenario)),
      POLL_INTERVAL_MS: String(timing.pollMs),
      POLL_BACKSTOP_MS: String(timing.backstopMs),
      DEPLOY_TIMEOUT_MS: String(3_600_000),
    }),
  );
  try {
    // Several runs of one repository go to different environments (one in flight per target).
    const environments = Array.from(
      { length: Math.ceil(scenario.runs / scenario.repos) },
      (_, i) => `env-${i}`,
    );
    for (const repo of repos)
      await seedService(app, {
        name: repo,
        environments,
        protectedEnvironments: [],
        githubDeployments: 'off',
      });
    const transitions = app.app.get(DeploymentTransitions, { strict: false });
    const collection = appConnection(app.app).collection('deployments');
    const memoryBefore = memoryKb();
    const deployments: Array<{ id: string; runId: number; messageId: string }> = [];
    for (let i = 0; i < scenario.runs; i++) {
      const repo = repos[i % repos.length];
      const environment = environments[Math.floor(i / repos.length)];
      const sha = github.branchHead('acme', repo, 'main');
      const { draft } = admittedRequest(
        aService({ name: repo, repo, environments, githubDeployments: 'off' }),
        { environment, ref: 'main', sha, requester: { id: '1', name: 'bench' } },
        async () => undefined,
      );
      const started = await transitions.startInFlight(draft, cap(scenario), 0);
      if (!('deployment' in started)) throw new Error(`not recorded: ${started.refused}`);
      const id = started.deployment.id;
      const workflowId = workflowIds.get(repo)!;
      const run = github.createRun('acme', repo, workflowId, 'main', sha, {
        environment,
        sha,
        deployment_id: id,
      });
      github.setRunStatus(run.id, 'in_progress');
      const message = discord.seedBotMessage(discord.defaultChannelId, `Deployment: ${id}`);
      await collection.updateOne(
        { _id: id as never },
        { $set: { channelId: discord.defaultChannelId, messageId: message.id } },
      );
      if (!(await transitions.linkRun(id, run.id, github.runPayload(run).html_url as string)))
        throw new Error(`run not linked to ${id}`);
      await transitions.move(id, 'in_progress', {
        from: ['dispatching'],
        set: { dispatchedAt: new Date() },
        tracking: { nextCheckAt: new Date(Date.now() + timing.pollMs) },
      });
      deployments.push({ id, runId: run.id, messageId: message.id });
    }
    if (scenario.webhooks) for (const { runId } of deployments) await runWebhook(app, runId);
    // Settled: the Discord side has caught up with the recording.
    await waitFor(
      'the seeded messages',
      async () => (await collection.countDocuments({ syncDueAt: { $exists: true } })) === 0,
      { timeoutMs: 120_000 },
    );
    const memoryAfter = memoryKb();
    const rssPerDeploymentKb = (memoryAfter.rss - memoryBefore.rss) / scenario.runs;
    const heapPerDeploymentKb = (memoryAfter.heap - memoryBefore.heap) / scenario.runs;

    const editsOf = () => {
      const ids = new Set(deployments.map((d) => d.messageId));
      return discord.calls.filter(
        (call) =>
          call.method === 'PATCH' && ids.has(/\/messages\/(\d+)$/.exec(call.path)?.[1] ?? ''),
      ).length;
    };
    const editsBefore = editsOf();
    const windowStart = Date.now();
    await pause(timing.windowMs);
    const windowCalls = github.calls.filter((call) => call.at >= windowStart).length;
    if (process.env.BENCH_DEBUG) {
      const routes = new Map<string, number>();
      for (const call of github.calls.filter((c) => c.at >= windowStart))
        routes.set(
          `${call.route} ${call.status}`,
          (routes.get(`${call.route} ${call.status}`) ?? 0) + 1,
        );
      console.error(routes);
    }

    // The runs end one after another over one poll interval.
    const completedAt = new Map<string, number>();
    const spacing = timing.pollMs / scenario.runs;
    for (const [i, deployment] of deployments.entries()) {
      const due = windowStart + timing.windowMs + i * spacing;
      if (due > Date.now()) await pause(due - Date.now());
      github.setRunStatus(deployment.runId, 'completed', 'success');
      completedAt.set(deployment.id, Date.now());
      if (scenario.webhooks) void runWebhook(app, deployment.runId);
    }
    await waitFor(
      'every deployment recorded as finished',
      async () =>
        (await collection.countDocuments({
          _id: { $in: deployments.map((d) => d.id) as never[] },
          status: 'success',
        })) === scenario.runs,
      { timeoutMs: timing.pollMs * 6 + 60_000 },
    );
    const finished = await collection
      .find({ _id: { $in: deployments.map((d) => d.id) as never[] } })
      .project<{ _id: string; finishedAt: Date }>({ finishedAt: 1 })
      .toArray();
    const lags = finished.map(
      (doc) => doc.finishedAt.getTime() - completedAt.get(String(doc._id))!,
    );
    await waitFor(
      'the final messages',
      async () => (await collection.countDocuments({ syncDueAt: { $exists: true } })) === 0,
      { timeoutMs: 120_000 },
    );
    const windowMinutes = timing.windowMs / 60_000;
    return {
      ...scenario,
      requestsPerMinute: round(windowCalls / windowMinutes),
      perWorkflowPerInterval: round(
        windowCalls / scenario.repos / (timing.windowMs / timing.pollMs),
        2,
      ),
      perRunPerBackstop: round(
        windowCalls / scenario.runs / (timing.windowMs / timing.backstopMs),
        2,
      ),
      lagP50Ms: Math.round(percentile(lags, 50)),
      lagMaxMs: Math.round(Math.max(...lags)),
      discordEditsPerDeployment: round((editsOf() - editsBefore) / scenario.runs, 2),
      rssPerDeploymentKb: round(rssPerDeploymentKb),
      heapPerDeploymentKb: round(heapPerDeploymentKb),
    };
  } finally {
    await app.close();
  }
}
