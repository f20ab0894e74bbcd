import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mongoose, { Connection } from 'mongoose';
import type { Service } from '../../src/service-registry/service';
import { ServiceDocument, ServiceSchema } from '../../src/service-registry/service.schema';
import { AppProcess } from './app-process';
import { testDatabaseUri } from './database';
import { aService } from './factories';
import type { FakeDiscord } from './fake-discord/fake-discord';
import type { FakeGithub } from './fake-github';
import { testEnvironment } from './test-app';
import { waitFor } from './wait-for';

/** Makes an app process believe it won every interaction claim (the control run, no claims). */
export const WITHOUT_CLAIMS = resolve(__dirname, 'without-interaction-claims.cjs');
/** Runs an app process's clock CLOCK_SKEW_MS ahead of the machine's. */
export const SKEWED_CLOCK = resolve(__dirname, 'skewed-clock.cjs');

/** One instance of the bot: the built app as a process, and what it says about itself. */
export class ClusterMember {
  constructor(
    readonly process: AppProcess,
    readonly url: string,
    readonly id: string,
  ) {}

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** The value of one counter series on this instance's /metrics (0 when absent). */
  async counter(series: string): Promise<number> {
    const line = (await this.metrics())
      .split('\n')
      .find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.split(' ')[1]) : 0;
  }
}

/**
 * N instances of the built app (`dist/src/main.js`) on one database, against the same fake
 * Discord and fake GitHub, and a connection to that database for the test to arrange and
 * inspect records.
 */
export class Cluster {
  private constructor(
    readonly members: ClusterMember[],
    readonly db: Connection,
    readonly env: Record<string, string | undefined>,
    private readonly workDir: string,
    private readonly discord: FakeDiscord,
  ) {}

  static async start(
    discord: FakeDiscord,
    github: FakeGithub,
    options: { size?: number; env?: Record<string, string | undefined>; preload?: string } = {},
  ): Promise<Cluster> {
    const workDir = mkdtempSync(join(tmpdir(), 'chatops-cluster-'));
    const env = testEnvironment(discord, github, {
      MONGODB_URI: testDatabaseUri('cluster'),
      LOG_LEVEL: 'info',
      ...(options.preload ? { NODE_OPTIONS: `--require ${options.preload}` } : {}),
      ...options.env,
    });
    const db = await mongoose.createConnection(env.MONGODB_URI!).asPromise();
    const cluster = new Cluster([], db, env, workDir, discord);
    for (let i = 0; i < (options.size ?? 2); i++) await cluster.add();
    return cluster;
  }

  /** Starts one more instance (`env` over the cluster's) and waits until it takes interactions. */
  async add(env: Record<string, string | undefined> = {}): Promise<ClusterMember> {
    const identified = this.discord.identifications;
    const registered = this.discord.callsTo('PUT', /commands$/).length;
    const app = AppProcess.spawn({ ...this.env, ...env }, this.workDir);
    const port = await app.port();
    const id = await waitFor(
      'the instance to name itself',
      () => /This is instance ([\w.-]+)/.exec(app.output)?.[1],
    );
    await waitFor('the instance to identify', () => this.discord.identifications > identified);
    await waitFor(
      'the instance to register its commands',
      () => this.discord.callsTo('PUT', /commands$/).length > registered,
    );
    const member = new ClusterMember(app, `http://127.0.0.1:${port}`, id);
    this.members.push(member);
    return member;
  }

  async seedService(overrides: Partial<Service> & { name: string }): Promise<void> {
    const model =
      this.db.models[ServiceDocument.name] ?? this.db.model(ServiceDocument.name, ServiceSchema);
    await model.create(
      aService({ repo: overrides.name, addedBy: { id: 'seed', name: 'seed' }, ...overrides }),
    );
  }

  deployment(id: string) {
    return this.db.collection('deployments').findOne({ _id: id as never });
  }

  /** The deployment's run, once it has one. */
  async runOf(id: string): Promise<number> {
    return (await waitFor(`${id}'s run`, async () => (await this.deployment(id))?.runId)) as number;
  }

  /** The deployment once its status is one of `statuses`. */
  async waitForStatus(id: string, ...statuses: string[]) {
    return waitFor(`${id} to be ${statuses.join(' or ')}`, async () => {
      const doc = await this.deployment(id);
      return doc && statuses.includes(doc.status as string) ? doc : undefined;
    });
  }

  /** How many times the deployment moved to `status` (its transitions, as stored). */
  async movesTo(id: string, status: string): Promise<number> {
    const doc = await this.deployment(id);
    const transitions = (doc?.transitions ?? []) as Array<{ status: string }>;
    return transitions.filter((transition) => transition.status === status).length;
  }

  async auditCount(filter: Record<string, unknown>): Promise<number> {
    return this.db.collection('audit').countDocuments(filter);
  }

  /** Sums one counter series over every instance still running. */
  async counter(series: string): Promise<number> {
    let total = 0;
    for (const member of this.members) total += await member.counter(series);
    return total;
  }

  async close(): Promise<void> {
    await AppProcess.killAll();
    await this.db.dropDatabase().catch(() => undefined);
    await this.db.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
