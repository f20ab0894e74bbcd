/**
 * (h) /stats on a busy service: 10,000 production deployments over the last year (with
 * rollbacks, failed runs, hotfixes, fault reports and three commits' dates each), answered by
 * the app through the fake Discord. Measured: the first callback (the defer Discord needs within
 * 3 s) and the final answer (figures, trend, chart), for a year and for the default 30 days.
 * `npm run bench -- stats` runs this section alone.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { seedService } from '../support/deploys';
import { FakeDiscord } from '../support/fake-discord/fake-discord';
import { FakeGithub } from '../support/fake-github';
import { startTestApp, testEnvironment } from '../support/test-app';
import { waitFor } from '../support/wait-for';

export const STATS_DEPLOYMENTS = 10_000;
const RUNS = 5;
const DAY_MS = 86_400_000;
const LOADING = 128;

export interface StatsFigures {
  deployments: number;
  runs: number;
  /** Per period asked for: ms to the first callback and to the final answer (median, max). */
  periods: Array<{
    period: string;
    firstCallbackMs: { median: number; max: number };
    answerMs: { median: number; max: number; perRun: number[] };
    chart: boolean;
  }>;
  target: string;
}

const round = (value: number) => Math.round(value * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** 10,000 finished production deployments, one every ~53 minutes over the last 365 days. */
async function seedHistory(uri: string, service: string): Promise<void> {
  const connection = await mongoose.createConnection(uri).asPromise();
  const now = Date.now();
  const step = (365 * DAY_MS) / STATS_DEPLOYMENTS;
  const deployments = Array.from({ length: STATS_DEPLOYMENTS }, (_, i) => {
    const finishedAt = new Date(now - 365 * DAY_MS + i * step);
    const createdAt = new Date(finishedAt.getTime() - 10 * 60_000);
    const id = `d-${i.toString(16).padStart(6, '0')}`;
    const rollback = i % 40 === 39;
    return {
      _id: id,
      service,
      environment: 'prod',
      ref: 'main',
      sha: randomUUID().replace(/-/g, '').padEnd(40, '0'),
      requester: { id: '1', name: 'dana' },
      status: i % 20 === 7 ? 'failure' : 'success',
      transitions: [{ status: 'dispatching', at: createdAt }],
      createdAt,
      updatedAt: finishedAt,
      finishedAt,
      version: 5,
      ...(rollback
        ? {
            rollback: {
              of: `d-${(i - 1).toString(16).padStart(6, '0')}`,
              ofSha: 'a'.repeat(40),
              to: `d-${(i - 2).toString(16).padStart(6, '0')}`,
            },
          }
        : {}),
      ...(i % 25 === 3 ? { hotfix: true } : {}),
      ...(i % 50 === 11
        ? { fault: { by: { id: '1', name: 'dana' }, at: new Date(finishedAt.getTime() + 600_000) } }
        : {}),
    };
  });
  await connection.collection('deployment_commits').insertMany(
    deployments
      .filter((d) => d.status === 'success' && !('rollback' in d))
      .map((d) => ({
        _id: d._id,
        service,
        environment: 'prod',
        finishedAt: d.finishedAt,
        state: 'done',
        dates: [3, 2, 1].map((hours) => new Date(d.finishedAt.getTime() - hours * 3_600_000)),
        total: 3,
      })) as never[],
  );
  // The commits first: a backfill that saw the deployments before them would ask GitHub.
  await connection.collection('deployments').insertMany(deployments as never[]);
  await connection.close();
}

export async function measureStats(
  discord: FakeDiscord,
  github: FakeGithub,
  dbUri: (name: string) => string,
): Promise<StatsFigures> {
  const uri = dbUri('bench_stats');
  github.addRepo('acme', 'busy');
  const app = await startTestApp(
    discord,
    github,
    testEnvironment(discord, github, { MONGODB_URI: uri, POLL_INTERVAL_MS: '600000' }),
  );
  try {
    await seedService(app, {
      name: 'busy',
      environments: ['staging', 'prod'],
      protectedEnvironments: ['prod'],
      githubDeployments: 'off',
    });
    await seedHistory(uri, 'busy');
    const periods: StatsFigures['periods'] = [];
    for (const period of ['365d', '30d']) {
      const firsts: number[] = [];
      const answers: number[] = [];
      let chart = true;
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        const handle = await discord.command('stats', app.actors.deployer, {
          options: { service: 'busy', period },
        });
        await handle.firstCallback();
        firsts.push(performance.now() - started);
        const reply = await waitFor(
          'the /stats answer',
          () => {
            const message = handle.reply();
            return message && !(message.flags & LOADING) ? message : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 2 },
        );
        answers.push(performance.now() - started);
        chart &&= (reply.files ?? []).some((file) => file.name === 'delivery.png');
      }
      periods.push({
        period,
        firstCallbackMs: { median: round(median(firsts)), max: round(Math.max(...firsts)) },
        answerMs: {
          median: round(median(answers)),
          max: round(Math.max(...answers)),
          perRun: answers.map(round),
        },
        chart,
      });
    }
    return {
      deployments: STATS_DEPLOYMENTS,
      runs: RUNS,
      periods,
      target: "first callback within Discord's 3 s; the answer reported",
    };
  } finally {
    await app.close();
  }
}

export function printStats(stats: StatsFigures): void {
  for (const p of stats.periods)
    console.log(
      `| (h) /stats period:${p.period} on ${stats.deployments.toLocaleString('en')} deployments (median of ${stats.runs}${p.chart ? ', with the chart' : ''}) | first callback ${p.firstCallbackMs.median} ms, answer ${p.answerMs.median} ms (max ${p.answerMs.max}) | first callback < 3 s |`,
    );
}
