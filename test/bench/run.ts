/**
 * npm run bench: the deploy loop's speed against the loopback fakes, on the real engine.
 *   (a) interaction received → first Discord callback, over 200 /deploy commands;
 *   (b) webhook ingestion at concurrency 32 beside a bare node:http + HMAC + one update baseline;
 *   (c) GitHub requests per deployment on the webhook path (CI gate and GitHub Deployments off,
 *       then both on) and on the polling path;
 *   (d) what strangers can do to the webhook: heap and /metrics size before and after 20,000
 *       unsigned requests with distinct X-GitHub-Event headers, and the time to a 413;
 *   (e) start to ready on an empty database and on one with 10,000 past deployments and 1,000
 *       rollbacks, side by side.
 *   (f) tracking at scale: 20, 60 and 100 runs in flight over as many repositories and over 5,
 *       with and without webhooks (test/bench/tracking.ts), beside the figures kept from
 *       before webhook-aware polling and workflow listings (test/bench/tracking-before.json).
 *       `npm run bench -- tracking` runs this section alone.
 *   (g) deploy windows on the event loop: "open now?", the bounded search for the next change,
 *       and checking a new window (test/bench/windows.ts). `npm run bench -- windows` runs it alone.
 *   (h) /stats on a service with 10,000 production deployments: first callback and answer, for a
 *       year and for 30 days (test/bench/stats.ts). `npm run bench -- stats` runs it alone.
 *   `npm run bench -- hot` runs (a) and (b) alone, with memory per in-flight deployment and (h),
 *   and updates those keys of bench-results/latest.json.
 * Prints a table and writes bench-results/latest.json.
 */
import '../support/necord-restarts';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { ConnectionString } from 'mongodb-connection-string-url';
import { EngineHost } from '../../libs/embedded-mongo';
import {
  deploymentIdOf,
  runDeploy,
  seedService,
  storedDeployment,
  waitForStatus,
} from '../support/deploys';
import { FakeGithub } from '../support/fake-github';
import {
  startFakeDiscord,
  startTestApp,
  TestApp,
  testEnvironment,
  WEBHOOK_SECRET,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { measureTrackingScenario, TRACKING_SCENARIOS, TrackingFigures } from './tracking';
import { HotProfiler, printBreakdowns } from './profile';
import { measureStats, printStats } from './stats';
import { measureWindows, printWindows } from './windows';
import { isValidSignature } from '../../src/github/webhook/webhook-signature';

const COMMANDS = 200;
/** The hot paths' targets (printed as they are set here). */
const FIRST_CALLBACK_TARGET = 'p99 ≤ 20 ms';
const INGESTION_TARGET = '≥ 0.9 of the baseline';
const TARGETS = 20;
const DELIVERIES = 6_000;
const ROUNDS = 5;
const CONCURRENCY = 32;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** POSTs with a keep-alive agent; resolves with the latency in ms. */
function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  agent: import('node:http').Agent,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - started)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CPU time the database process has used, in ms (Linux's /proc; undefined elsewhere, or with
 * MONGODB_URI, whose server is not ours to look at).
 */
let databasePid: number | undefined;
function databaseCpuMs(): number | undefined {
  if (!databasePid) return undefined;
  try {
    const fields = readFileSync(`/proc/${databasePid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15 of stat, 12 and 13 after the name), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Sends `bodies` with `concurrency` requests in flight; throughput (per s), latencies, and the
 * CPU each delivery cost this process (server and client alike) and the database.
 */
async function load(
  url: string,
  bodies: Array<{ body: string; headers: Record<string, string> }>,
  concurrency: number,
) {
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const database = databaseCpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const { body, headers } = bodies[next++];
        latencies.push(await post(target, body, headers, agent));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const databaseAfter = databaseCpuMs();
  agent.destroy();
  return {
    perSecond: bodies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    processCpuUs: (used.user + used.system) / bodies.length,
    databaseCpuUs:
      database !== undefined && databaseAfter !== undefined
        ? ((databaseAfter - database) * 1000) / bodies.length
        : undefined,
  };
}

function signed(body: string, event = 'workflow_run') {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    },
  };
}

/** The baseline: node:http, the same HMAC check, one MongoDB update per delivery. */
async function startBareBaseline(
  mongoUri: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const connection = await mongoose.createConnection(mongoUri).asPromise();
  const collection = connection.collection('bare_runs');
  await collection.insertMany(
    Array.from({ length: 100 }, (_, i) => ({ runId: 1_000 + i, status: 'queued' })),
  );
  await collection.createIndex({ runId: 1 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (!isValidSignature(WEBHOOK_SECRET, raw, req.headers['x-hub-signature-256'] as string)) {
        res.writeHead(401).end();
        return;
      }
      const payload = JSON.parse(raw.toString()) as {
        workflow_run: { id: number; status: string };
      };
      collection
        .updateOne(
          { runId: 1_000 + (payload.workflow_run.id % 100) },
          { $set: { status: payload.workflow_run.status } },
        )
        .then(() =>
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}'),
        )
        .catch(() => res.writeHead(500).end());
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhook/github`,
    stop: async () => {
      server.close();
      await connection.close();
    },
  };
}

const median = (values: number[]) => percentile(values, 50);

/** Start to ready (`/health/ready` 200), in this process, on the given database. */
async function startToReady(
  discord: Awaited<ReturnType<typeof startFakeDiscord>>,
  github: FakeGithub,
  uri: string,
): Promise<number> {
  const started = performance.now();
  const app = await startTestApp(
    discord,
    github,
    testEnvironment(discord, github, { MONGODB_URI: uri }),
  );
  await waitFor('readiness', async () => (await fetch(`${app.url}/health/ready`)).status === 200);
  const ms = performance.now() - started;
  await app.close();
  return ms;
}

async function measureStartUp(
  discord: Awaited<ReturnType<typeof startFakeDiscord>>,
  github: FakeGithub,
  dbUri: (name: string) => string,
) {
  const RUNS = 5;
  const empty = dbUri('bench_empty');
  const history = dbUri('bench_history');
  // Indexes first (as any database that has run the bot has them), then the history.
  await startToReady(discord, github, history);
  const connection = await mongoose.createConnection(history).asPromise();
  const long = new Date(Date.now() - 30 * 86_400_000);
  await connection.collection('deployments').insertMany(
    Array.from({ length: 10_000 }, (_, i) => ({
      _id: `d-${i.toString(16).padStart(6, '0')}`,
      service: `svc-${i % 40}`,
      environment: i % 3 ? 'staging' : 'prod',
      ref: 'main',
      sha: randomUUID().replace(/-/g, '').padEnd(40, '0'),
      requester: { id: '1', name: 'dana' },
      status: i % 7 ? 'success' : 'failure',
      transitions: [{ status: 'dispatching', at: long }],
      createdAt: long,
      updatedAt: long,
      finishedAt: long,
      version: 5,
      ...(i < 1_000 ? { rollback: { of: 'd-000000', ofSha: 'a'.repeat(40), to: 'd-000001' } } : {}),
    })) as never[],
  );
  await connection.close();
  const emptyRuns: number[] = [];
  const historyRuns: number[] = [];
  // Alternating, so both meet the same machine.
  for (let i = 0; i < RUNS; i++) {
    emptyRuns.push(await startToReady(discord, github, empty));
    historyRuns.push(await startToReady(discord, github, history));
  }
  return {
    runs: RUNS,
    emptyMs: round(median(emptyRuns)),
    historyMs: round(median(historyRuns)),
    emptyPerRunMs: emptyRuns.map((ms) => round(ms)),
    historyPerRunMs: historyRuns.map((ms) => round(ms)),
  };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return round(process.memoryUsage().heapUsed / 1024 / 1024);
}

/** The app runs in this process: its heap is this heap. */
async function measureAbuse(baseUrl: string) {
  const REQUESTS = 20_000;
  const metricsKb = async () =>
    round((await (await fetch(`${baseUrl}/metrics`)).text()).length / 1024);
  const heapBeforeMb = heapMb();
  const metricsBeforeKb = await metricsKb();
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const target = new URL(`${baseUrl}/webhook/github`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        await new Promise<void>((resolve) => {
          const req = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              path: target.pathname,
              method: 'POST',
              agent,
              headers: { 'x-github-event': `flood-${i}-${randomUUID()}`, 'content-length': 2 },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve());
            },
          );
          req.on('error', () => resolve());
          req.end('{}');
        });
      }
    }),
  );
  agent.destroy();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'x-github-event': 'workflow_run', 'content-length': 5 * 1024 * 1024 },
      });
      req.on('response', (res) => {
        times.push(performance.now() - started);
        res.resume();
        req.destroy();
        resolve();
      });
      req.on('error', () => resolve());
      req.flushHeaders();
    });
  }
  return {
    requests: REQUESTS,
    heapBeforeMb,
    heapAfterMb: heapMb(),
    metricsBeforeKb,
    metricsAfterKb: await metricsKb(),
    tooLargeMs: round(median(times), 2),
  };
}

/** Tracking at scale: every scenario side by side, beside the figures kept from before. */
async function measureTracking(
  discord: Awaited<ReturnType<typeof startFakeDiscord>>,
  github: FakeGithub,
  dbUri: (name: string) => string,
) {
  const timing = { pollMs: 10_000, backstopMs: 60_000, windowMs: 60_000 };
  const figures: TrackingFigures[] = [];
  // `npm run bench -- tracking 0,3` runs only those scenarios (by their place in the list).
  const picked = /^\d+(,\d+)*$/.test(process.argv.at(-1) ?? '')
    ? new Set(process.argv.at(-1)!.split(',').map(Number))
    : undefined;
  for (const [i, scenario] of TRACKING_SCENARIOS.entries()) {
    if (picked && !picked.has(i)) continue;
    figures.push(
      await measureTrackingScenario(
        discord,
        github,
        dbUri(`bench_trk${i}`),
        scenario,
        timing,
        `trk${i}`,
      ),
    );
    console.error(
      `tracking ${i + 1}/${TRACKING_SCENARIOS.length}: ${JSON.stringify(figures.at(-1))}`,
    );
  }
  return { timing, figures };
}

function printTracking(tracking: Awaited<ReturnType<typeof measureTracking>>) {
  const before = existsSync(TRACKING_BEFORE)
    ? (JSON.parse(readFileSync(TRACKING_BEFORE, 'utf8')) as {
        commit: string;
        figures: TrackingFigures[];
      })
    : undefined;
  const { pollMs, backstopMs, windowMs } = tracking.timing;
  console.log(
    `\n(f) Tracking: POLL_INTERVAL_MS=${pollMs}, POLL_BACKSTOP_MS=${backstopMs}, counted over ${windowMs / 1000} s; ` +
      `the runs then end one after another over one interval.${before ? ` "before" = ${before.commit}, same bench.` : ''}`,
  );
  console.log(
    '| runs | repos | webhooks | GitHub req/min | req per (repo, workflow) per interval | req per run per backstop | lag p50 / max ms | Discord edits per deployment | RSS per deployment KB | heap per deployment KB |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const side = (now: number, was: number | undefined) =>
    was === undefined ? `${now}` : `${now} (before ${was})`;
  for (const f of tracking.figures) {
    const b = before?.figures.find(
      (x) => x.runs === f.runs && x.repos === f.repos && x.webhooks === f.webhooks,
    );
    console.log(
      `| ${f.runs} | ${f.repos} | ${f.webhooks ? 'yes' : 'no'} | ${side(f.requestsPerMinute, b?.requestsPerMinute)} | ${side(f.perWorkflowPerInterval, b?.perWorkflowPerInterval)} | ${side(f.perRunPerBackstop, b?.perRunPerBackstop)} | ${f.lagP50Ms} / ${f.lagMaxMs}${b ? ` (before ${b.lagP50Ms} / ${b.lagMaxMs})` : ''} | ${side(f.discordEditsPerDeployment, b?.discordEditsPerDeployment)} | ${side(f.rssPerDeploymentKb, b?.rssPerDeploymentKb)} | ${f.heapPerDeploymentKb ?? 'n/a'} |`,
    );
  }
}

const TRACKING_BEFORE = 'test/bench/tracking-before.json';

/**
 * The two hot paths, (a) and (b): 200 /deploy commands to their first callback, then signed
 * `workflow_run` deliveries against the bare baseline in alternating rounds. Returns the app,
 * still running, for the parts that follow.
 */
async function measureHotPaths(
  discord: Awaited<ReturnType<typeof startFakeDiscord>>,
  github: FakeGithub,
  dbUri: (name: string) => string,
  profiler?: HotProfiler,
) {
  // (a) first callback latency
  for (let i = 0; i < TARGETS; i++) github.addRepo('acme', `svc-${i}`);
  const app = await startTestApp(
    discord,
    github,
    testEnvironment(discord, github, {
      MONGODB_URI: dbUri('bench_a'),
      DEPLOY_COOLDOWN_MS: '0',
      MAX_CONCURRENT_DEPLOYS: '100',
      POLL_INTERVAL_MS: '600000',
    }),
  );
  for (let i = 0; i < TARGETS; i++) {
    // Not recorded on GitHub's Deployments API: (a) and (b) measure the bot, not GitHub's
    // one-write-a-second pace (part (c) counts what the Deployments add).
    await seedService(app, {
      name: `svc-${i}`,
      environments: ['staging'],
      protectedEnvironments: [],
      githubDeployments: 'off',
    });
  }
  const firstCallback: number[] = [];
  const commands = async () => {
    for (let i = 0; i < COMMANDS; i++) {
      const started = performance.now();
      // The first command to each target is accepted; the rest are refused (target busy) after
      // the same immediate acknowledgement.
      const handle = await runDeploy(app, app.actors.deployer, `svc-${i % TARGETS}`, 'staging');
      await handle.firstCallback();
      firstCallback.push(performance.now() - started);
    }
  };
  await (profiler ? profiler.measure('a-first-callback', commands) : commands());
  // GitHub asks for at least a second between writes: the throttling plugin spaces dispatches.
  await waitFor('every dispatch', () => github.dispatches.length === TARGETS, {
    timeoutMs: 120_000,
  });

  // (b) webhook ingestion: in_progress events for the 200 known runs, each a new delivery.
  const runIds = github.dispatches.map((d) => d.runId!);
  const bodies = Array.from({ length: DELIVERIES }, (_, i) => {
    const run = github.runs.get(runIds[i % runIds.length])!;
    return signed(
      JSON.stringify({
        action: 'in_progress',
        workflow_run: { ...github.runPayload(run), status: 'in_progress' },
      }),
    );
  });
  // Rounds alternate between the app and the baseline, so that both meet the same machine.
  const bare = await startBareBaseline(dbUri('bench_bare'));
  const warmup = bodies.slice(0, 200);
  await load(
    `${app.url}/webhook/github`,
    warmup.map(({ body }) => signed(body)),
    CONCURRENCY,
  );
  await load(
    bare.url,
    warmup.map(({ body }) => signed(body)),
    CONCURRENCY,
  );
  const appRounds: Array<Awaited<ReturnType<typeof load>>> = [];
  const bareRounds: Array<Awaited<ReturnType<typeof load>>> = [];
  const perRound = DELIVERIES / ROUNDS;
  for (let r = 0; r < ROUNDS; r++) {
    const slice = bodies.slice(r * perRound, (r + 1) * perRound);
    appRounds.push(await load(`${app.url}/webhook/github`, slice, CONCURRENCY));
    bareRounds.push(
      await load(
        bare.url,
        slice.map(({ body }) => signed(body)),
        CONCURRENCY,
      ),
    );
  }
  // Profiled apart from the measured rounds (which alternate with the baseline): one more round
  // of the app alone, the same payloads as new deliveries, then one of the baseline, side by side.
  if (profiler) {
    await profiler.measure('b-webhook', () =>
      load(
        `${app.url}/webhook/github`,
        bodies.slice(0, perRound).map(({ body }) => signed(body)),
        CONCURRENCY,
      ),
    );
    await profiler.measure('b-baseline', () =>
      load(
        bare.url,
        bodies.slice(0, perRound).map(({ body }) => signed(body)),
        CONCURRENCY,
      ),
    );
  }
  await bare.stop();
  const pick = (rounds: typeof appRounds) => ({
    perSecond: median(rounds.map((x) => x.perSecond)),
    p50: median(rounds.map((x) => x.p50)),
    p99: median(rounds.map((x) => x.p99)),
    processCpuUs: median(rounds.map((x) => x.processCpuUs)),
    databaseCpuUs: rounds.every((x) => x.databaseCpuUs !== undefined)
      ? median(rounds.map((x) => x.databaseCpuUs!))
      : undefined,
  });
  const ingestion = pick(appRounds);
  const baseline = pick(bareRounds);
  return { app, firstCallback, appRounds, bareRounds, ingestion, baseline };
}

/** CPU per delivery in µs: the bench's process (app or baseline, and the client) and the database. */
function cpuPerDelivery(side: { processCpuUs: number; databaseCpuUs?: number }) {
  return {
    cpuPerDeliveryUs: {
      process: Math.round(side.processCpuUs),
      ...(side.databaseCpuUs !== undefined ? { database: Math.round(side.databaseCpuUs) } : {}),
    },
  };
}

const cpuText = (cpu: { process: number; database?: number }) =>
  `${cpu.process} µs; ${cpu.database !== undefined ? `${cpu.database} µs` : 'n/a'}`;

/** The figures of (a) and (b) as bench-results/latest.json keeps them. */
function hotFigures(hot: Awaited<ReturnType<typeof measureHotPaths>>) {
  const { firstCallback, appRounds, bareRounds, ingestion, baseline } = hot;
  return {
    firstCallbackMs: {
      commands: COMMANDS,
      p50: round(percentile(firstCallback, 50)),
      p99: round(percentile(firstCallback, 99)),
      target: FIRST_CALLBACK_TARGET,
    },
    webhookIngestion: {
      deliveries: DELIVERIES,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      ratioPerRound: appRounds.map((r, i) => round(r.perSecond / bareRounds[i].perSecond, 2)),
      app: {
        perSecond: Math.round(ingestion.perSecond),
        p50Ms: round(ingestion.p50),
        p99Ms: round(ingestion.p99),
        ...cpuPerDelivery(ingestion),
      },
      bareBaseline: {
        perSecond: Math.round(baseline.perSecond),
        p50Ms: round(baseline.p50),
        p99Ms: round(baseline.p99),
        ...cpuPerDelivery(baseline),
      },
      ratio: round(ingestion.perSecond / baseline.perSecond, 2),
      target: INGESTION_TARGET,
    },
  };
}

/** The engine (or MONGODB_URI), a database per part, and the fakes. */
async function benchWorld() {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatops-bench-'));
  const host = process.env.MONGODB_URI ? undefined : await EngineHost.start({ dataDir });
  databasePid = host?.pid;
  const baseUri = process.env.MONGODB_URI ?? host!.uri;
  process.env.TEST_MONGODB_URI = baseUri;
  const dbUri = (name: string) => {
    const uri = new ConnectionString(baseUri);
    uri.pathname = `/${name}_${Date.now()}`;
    return uri.toString();
  };
  const discord = await startFakeDiscord();
  const github = await FakeGithub.start();
  const close = async () => {
    await discord.close();
    await github.close();
    await host?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { host, dbUri, discord, github, close };
}

async function main(): Promise<void> {
  if (process.argv.includes('tracking')) return mainTracking();
  if (process.argv.includes('windows')) return mainWindows();
  if (process.argv.includes('stats')) return mainStats();
  if (process.argv.includes('hot')) return mainHot();
  const { host, dbUri, discord, github, close } = await benchWorld();
  let app: TestApp | undefined;
  try {
    const hot = await measureHotPaths(discord, github, dbUri);
    app = hot.app;

    // (d) a flood of unsigned requests, each with an event name of its own.
    const abuse = await measureAbuse(app.url);

    // (e) start to ready, empty and with a history behind it.
    await app.close();
    const startUp = await measureStartUp(discord, github, dbUri);
    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, {
        MONGODB_URI: dbUri('bench_a2'),
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '600000',
      }),
    );

    // (c) GitHub requests per deployment, webhook path then polling path. The webhook path is
    // measured twice on one app: with the CI gate and GitHub Deployments off, then both on.
    const countedApp = app;
    const webhookPath = async (name: string, withGateAndDeployments: boolean) => {
      const app = countedApp;
      github.addRepo('acme', name);
      await seedService(app, {
        name,
        environments: ['staging'],
        protectedEnvironments: [],
        githubDeployments: withGateAndDeployments ? 'bot' : 'off',
        targets: { staging: { ciGate: withGateAndDeployments ? 'all' : 'off' } },
      });
      const sha = github.branchHead('acme', name, 'main');
      github.addCheckRun('acme', name, sha, 'build', 'completed', 'success');
      const before = github.calls.length;
      const viaWebhook = await runDeploy(app, app.actors.admin, name, 'staging');
      const webhookId = await deploymentIdOf(viaWebhook);
      await waitForStatus(app, webhookId, 'dispatched');
      const webhookRun = (await storedDeployment(app, webhookId)).runId as number;
      for (const status of ['in_progress', 'completed'] as const) {
        github.setRunStatus(webhookRun, status, status === 'completed' ? 'success' : null);
        const payload = JSON.stringify({
          action: status,
          workflow_run: github.runPayload(github.runs.get(webhookRun)!),
        });
        await load(`${app.url}/webhook/github`, [signed(payload)], 1);
        if (withGateAndDeployments)
          await waitFor(`GitHub's ${status} status`, () =>
            github.deployments.find((d) => d.repo === name)?.statuses.at(-1)?.state ===
            (status === 'completed' ? 'success' : 'in_progress')
              ? true
              : undefined,
          );
      }
      await waitForStatus(app, webhookId, 'success');
      return github.calls.slice(before);
    };
    const webhookCalls = await webhookPath('counted', false);
    const nativeCalls = await webhookPath('counted-native', true);
    await app.close();

    app = await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, {
        MONGODB_URI: dbUri('bench_c'),
        DEPLOY_COOLDOWN_MS: '0',
        POLL_INTERVAL_MS: '200',
      }),
    );
    await seedService(app, {
      name: 'counted',
      environments: ['staging'],
      protectedEnvironments: [],
      githubDeployments: 'off',
    });
    const pollStart = github.calls.length;
    const viaPolling = await runDeploy(app, app.actors.admin, 'counted', 'staging');
    const pollId = await deploymentIdOf(viaPolling);
    await waitForStatus(app, pollId, 'dispatched');
    const pollRun = (await storedDeployment(app, pollId)).runId as number;
    // A five-second run: queued for 2 s, in progress for 3 s.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    github.setRunStatus(pollRun, 'in_progress');
    await waitForStatus(app, pollId, 'in_progress');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    github.setRunStatus(pollRun, 'completed', 'success');
    await waitForStatus(app, pollId, 'success');
    const pollCalls = github.calls.slice(pollStart);

    await app.close();
    app = undefined;
    // (h) /stats on 10,000 deployments.
    const stats = await measureStats(discord, github, dbUri);
    // (f) tracking at scale, last: it takes longest.
    const tracking = await measureTracking(discord, github, dbUri);

    const counted = (calls: typeof webhookCalls) => ({
      rateLimited: calls.filter((call) => call.status !== 304).length,
      notModified: calls.filter((call) => call.status === 304).length,
    });
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      mongo: process.env.MONGODB_URI ? 'MONGODB_URI' : `embedded (${host!.runtime.kind})`,
      ...hotFigures(hot),
      webhookAbuse: abuse,
      startToReadyMs: startUp,
      githubRequestsPerDeployment: {
        webhookPath: counted(webhookCalls),
        webhookPathWithGateAndDeployments: {
          ...counted(nativeCalls),
          routes: nativeCalls.map((call) => `${call.method} ${call.route}`),
        },
        pollingPath: { ...counted(pollCalls), runSeconds: 5, pollIntervalMs: 200 },
        target: '≤ 3 rate-limited requests on the webhook path',
      },
      tracking,
      windows: measureWindows(),
      stats,
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
    const w = results.webhookIngestion;
    const g = results.githubRequestsPerDeployment;
    console.log('| measure | result | target |');
    console.log('| --- | --- | --- |');
    console.log(
      `| (a) interaction → first callback, ${COMMANDS} /deploy | p50 ${results.firstCallbackMs.p50} ms, p99 ${results.firstCallbackMs.p99} ms | ${FIRST_CALLBACK_TARGET} |`,
    );
    console.log(
      `| (b) webhooks, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds of ${DELIVERIES / ROUNDS} | ${w.app.perSecond}/s, p99 ${w.app.p99Ms} ms | ≥ 1000/s |`,
    );
    console.log(
      `| (b) bare node:http + HMAC + 1 update | ${w.bareBaseline.perSecond}/s, p99 ${w.bareBaseline.p99Ms} ms | |`,
    );
    console.log(
      `| (b) app / baseline (per round: ${w.ratioPerRound.join(', ')}) | ${w.ratio} | ${INGESTION_TARGET} |`,
    );
    console.log(
      `| (c) GitHub requests, webhook path (CI gate off, GitHub Deployments off) | ${g.webhookPath.rateLimited} (+ ${g.webhookPath.notModified} × 304) | ≤ 3 |`,
    );
    console.log(
      `| (c) GitHub requests, webhook path (CI gate all, GitHub Deployments bot) | ${g.webhookPathWithGateAndDeployments.rateLimited} (+ ${g.webhookPathWithGateAndDeployments.notModified} × 304) | reported |`,
    );
    console.log(
      `| (c) GitHub requests, polling path (5 s run, 200 ms polls) | ${g.pollingPath.rateLimited} (+ ${g.pollingPath.notModified} × 304) | |`,
    );
    console.log(
      `| (d) heap after GC, before → after ${abuse.requests} unsigned requests with distinct event headers | ${abuse.heapBeforeMb} MB → ${abuse.heapAfterMb} MB | bounded |`,
    );
    console.log(
      `| (d) /metrics size, before → after | ${abuse.metricsBeforeKb} KB → ${abuse.metricsAfterKb} KB | bounded |`,
    );
    console.log(
      `| (d) 5 MiB body declared: time to 413 (median of 20, body never sent) | ${abuse.tooLargeMs} ms | |`,
    );
    console.log(
      `| (e) start to ready, empty database (median of ${startUp.runs}) | ${startUp.emptyMs} ms | |`,
    );
    console.log(
      `| (e) start to ready, 10,000 deployments + 1,000 rollbacks (median of ${startUp.runs}) | ${startUp.historyMs} ms | not slower |`,
    );
    printTracking(tracking);
    printWindows(results.windows);
    printStats(stats);
    console.log(
      `\nMongoDB: ${results.mongo}; Node ${process.version}. Written to bench-results/latest.json`,
    );
  } finally {
    await app?.close();
    await close();
  }
}

/** `npm run bench -- tracking`: the tracking section alone. */
async function mainTracking(): Promise<void> {
  const { dbUri, discord, github, close } = await benchWorld();
  try {
    const tracking = await measureTracking(discord, github, dbUri);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/tracking.json', `${JSON.stringify(tracking, null, 2)}\n`);
    printTracking(tracking);
  } finally {
    await close();
  }
}

/**
 * `npm run bench -- hot`: the two hot paths, (a) and (b), alone, with what the same run says of
 * memory per in-flight deployment (the 100-run tracking scenario, webhooks on) and of /stats on
 * 10,000 deployments (h). Their figures replace the same keys of bench-results/latest.json.
 */
async function mainHot(): Promise<void> {
  const { dbUri, discord, github, close } = await benchWorld();
  let app: TestApp | undefined;
  try {
    if (process.argv.includes('profile')) {
      // Where the time goes: both paths under the profiler, nothing else (timings not kept).
      const profiler = new HotProfiler();
      await profiler.start();
      app = (await measureHotPaths(discord, github, dbUri, profiler)).app;
      profiler.stop();
      writeFileSync(
        'bench-results/hot-profile.json',
        `${JSON.stringify(profiler.breakdowns, null, 2)}\n`,
      );
      printBreakdowns(profiler.breakdowns);
      return;
    }
    const hot = await measureHotPaths(discord, github, dbUri);
    app = hot.app;
    await app.close();
    app = undefined;
    const memory = await measureTrackingScenario(
      discord,
      github,
      dbUri('bench_hot_memory'),
      { runs: 100, repos: 100, webhooks: true },
      { pollMs: 10_000, backstopMs: 60_000, windowMs: 60_000 },
      'hotmem',
    );
    const stats = await measureStats(discord, github, dbUri);
    const { firstCallbackMs, webhookIngestion } = hotFigures(hot);
    const inFlightMemory = {
      deployments: memory.runs,
      heapPerDeploymentKb: memory.heapPerDeploymentKb,
      rssPerDeploymentKb: memory.rssPerDeploymentKb,
    };
    const file = 'bench-results/latest.json';
    const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as object) : {};
    mkdirSync('bench-results', { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify({ ...kept, hotDate: new Date().toISOString(), firstCallbackMs, webhookIngestion, inFlightMemory, stats }, null, 2)}\n`,
    );
    console.log('| measure | result | target |');
    console.log('| --- | --- | --- |');
    console.log(
      `| (a) interaction → first callback, ${COMMANDS} /deploy | p50 ${firstCallbackMs.p50} ms, p99 ${firstCallbackMs.p99} ms | ${FIRST_CALLBACK_TARGET} |`,
    );
    console.log(
      `| (b) app / baseline, median of ${ROUNDS} rounds (per round: ${webhookIngestion.ratioPerRound.join(', ')}) | ${webhookIngestion.ratio} (${webhookIngestion.app.perSecond}/s against ${webhookIngestion.bareBaseline.perSecond}/s) | ${INGESTION_TARGET} |`,
    );
    console.log(
      `| (b) CPU per delivery, app against baseline (this process with its client; the database) | ${cpuText(webhookIngestion.app.cpuPerDeliveryUs)} against ${cpuText(webhookIngestion.bareBaseline.cpuPerDeliveryUs)} | reported |`,
    );
    console.log(
      `| memory per in-flight deployment (${inFlightMemory.deployments} tracked, webhooks on) | heap ${inFlightMemory.heapPerDeploymentKb ?? 'n/a'} KB, RSS ${inFlightMemory.rssPerDeploymentKb} KB | reported |`,
    );
    printStats(stats);
  } finally {
    await app?.close();
    await close();
  }
}

/** `npm run bench -- stats`: the /stats section alone. */
async function mainStats(): Promise<void> {
  const { dbUri, discord, github, close } = await benchWorld();
  try {
    const stats = await measureStats(discord, github, dbUri);
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/stats.json', `${JSON.stringify(stats, null, 2)}\n`);
    console.log('| measure | result | target |');
    console.log('| --- | --- | --- |');
    printStats(stats);
  } finally {
    await close();
  }
}

/** `npm run bench -- windows`: the deploy windows section alone (no database needed). */
function mainWindows(): void {
  const windows = measureWindows();
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/windows.json', `${JSON.stringify(windows, null, 2)}\n`);
  printWindows(windows);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
