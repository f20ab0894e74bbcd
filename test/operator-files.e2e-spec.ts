import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MAIN_JS } from './support/app-process';
import { FakeDiscord } from './support/fake-discord/fake-discord';
import { startAppWithFakes, TestApp } from './support/test-app';

const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'));
  const DIGEST = /@sha256:[0-9a-f]{64}$/;

  it('runs MongoDB as an initialised replica set with authentication, on named volumes', () => {
    const mongo = compose.services.mongo;
    expect(mongo.image).toMatch(/^mongo:/);
    expect(mongo.image).toMatch(DIGEST);
    const start = mongo.entrypoint.join(' ');
    expect(start).toContain('--replSet rs0');
    expect(start).toContain('--keyFile');
    expect(mongo.environment.MONGO_INITDB_ROOT_USERNAME).toBe('root');
    expect(mongo.environment.MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGO_ROOT_PASSWORD:\?/);
    expect(mongo.healthcheck.test.join(' ')).toContain('rs.initiate');
    expect(mongo.healthcheck.test.join(' ')).toContain('--authenticationDatabase admin');
    expect(mongo.volumes).toEqual(['mongo-data:/data/db', 'mongo-config:/data/configdb']);
    expect(Object.keys(compose.volumes)).toEqual(['mongo-data', 'mongo-config']);
  });

  it('gives the bot a user of its own that may only read and write its database', () => {
    const script = compose.configs['create-app-user'].content as string;
    expect(script).toContain("roles: [{ role: 'readWrite', db: 'chatops' }]");
    expect(compose.services.mongo.configs).toEqual([
      { source: 'create-app-user', target: '/docker-entrypoint-initdb.d/create-app-user.js' },
    ]);
  });

  it('starts the bot from .env once MongoDB is healthy, as that user on the replica set', () => {
    const bot = compose.services.bot;
    expect(bot.build).toBe('.');
    expect(bot.env_file).toBe('.env');
    expect(bot.environment.NODE_ENV).toBe('production');
    expect(bot.environment.MONGODB_URI).toBe(
      'mongodb://chatops:${MONGO_APP_PASSWORD}@mongo:27017/chatops?replicaSet=rs0&authSource=chatops',
    );
    expect(bot.depends_on.mongo.condition).toBe('service_healthy');
    expect(bot.healthcheck.test.join(' ')).toContain('/health/ready');
  });

  it('runs two active instances of the bot, each on a port of its own', () => {
    const bot = compose.services.bot;
    expect(bot.deploy.replicas).toBe(2);
    expect(bot.container_name).toBeUndefined();
    expect(bot.ports).toEqual(['3000-3001:3000']);
    // Longer than the bot's own 20 s shutdown deadline: a SIGTERM is never cut short by SIGKILL.
    expect(bot.stop_grace_period).toBe('25s');
  });

  it('publishes the webhook port only, and runs the bot with least privilege', () => {
    const bot = compose.services.bot;
    expect(bot.environment.METRICS_PORT).toBe('9100');
    expect(bot.ports).toEqual(['3000-3001:3000']);
    expect(bot.expose).toBeUndefined();
    expect(bot.cap_drop).toEqual(['ALL']);
    expect(bot.security_opt).toEqual(['no-new-privileges:true']);
    expect(bot.read_only).toBe(true);
    expect(bot.tmpfs).toEqual(['/tmp']);
    expect(bot.mem_limit).toBe('512m');
    expect(bot.pids_limit).toBe(256);
  });
});

describe('supply chain pins', () => {
  it('pins every CI action by commit SHA and every image by digest', () => {
    const workflow = read('.github/workflows/ci.yml');
    const uses = [...workflow.matchAll(/uses: (\S+)/g)].map((m) => m[1]);
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action).toMatch(/@[0-9a-f]{40}$/);
    for (const image of [...workflow.matchAll(/image: (\S+)/g)].map((m) => m[1]))
      expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:[^\s]+@sha256:[0-9a-f]{64}/);
    expect(dockerfile).toContain('npm ci --omit=dev --omit=optional');
  });
});

describe('examples/workflows/deploy.yml', () => {
  const workflow = parse(read('examples/workflows/deploy.yml'));

  it('takes the inputs the bot sends, and deploys exactly that commit to that environment', () => {
    const inputs = workflow.on.workflow_dispatch.inputs;
    expect(inputs.environment).toMatchObject({ required: true, type: 'string' });
    expect(inputs.sha).toMatchObject({ required: true, type: 'string' });
    expect(inputs.deployment_id).toMatchObject({ required: false, type: 'string' });
    expect(workflow['run-name']).toContain('${{ inputs.sha }}');
    expect(workflow['run-name']).toContain('${{ inputs.deployment_id }}');
    expect(workflow['run-name']).toContain('${{ inputs.environment }}');
    const [job] = Object.values(workflow.jobs) as Array<{
      environment: string;
      steps: Array<{ uses?: string; with?: { ref?: string } }>;
    }>;
    expect(job.environment).toBe('${{ inputs.environment }}');
    const checkout = job.steps.find((step) => step.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.ref).toBe('${{ inputs.sha }}');
  });
});

describe('against the running app', () => {
  let discord: FakeDiscord;
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes();
    ({ discord } = app);
  });
  afterAll(() => app?.closeAll());

  it('the Grafana dashboard queries only metrics the app exports', async () => {
    const dashboard = JSON.parse(read('examples/grafana/chatops-dashboard.json')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const exported = new Set(
      [...(await (await fetch(`${app.url}/metrics`)).text()).matchAll(/^# TYPE (\S+) /gm)].map(
        (m) => m[1],
      ),
    );
    const used = new Set(
      dashboard.panels.flatMap((panel) =>
        panel.targets.flatMap((target) =>
          [...target.expr.matchAll(/\b(chatops_[a-z_]+)/g)].map((m) =>
            m[1].replace(/_(bucket|count|sum)$/, ''),
          ),
        ),
      ),
    );
    expect(used.size).toBeGreaterThanOrEqual(8);
    for (const name of used)
      expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
    const titles = dashboard.panels.map((panel) => panel.title).join(' | ');
    for (const needed of [
      'Deployments per hour',
      'Success rate',
      'Lead time',
      'Active deployments',
      'Approval wait',
      'Webhook',
      'GitHub requests',
      'deployment frequency',
      'change lead time',
      'change fail rate',
      'recovery time',
      'rework rate',
    ]) {
      expect(titles).toContain(needed);
    }
  });

  it('registers slash commands within Discord’s limits, the same ones commands:print shows', () => {
    const commands = discord.registeredCommands();
    expect(commands.length).toBeLessThanOrEqual(100);
    type Option = { name: string; description: string; options?: Option[]; choices?: unknown[] };
    const check = (item: Option, path: string) => {
      expect({ path, name: /^[-_\p{Ll}\p{N}]{1,32}$/u.test(item.name) }).toEqual({
        path,
        name: true,
      });
      expect({
        path,
        description: item.description.length >= 1 && item.description.length <= 100,
      }).toEqual({ path, description: true });
      expect({ path, options: (item.options ?? []).length <= 25 }).toEqual({ path, options: true });
      expect({ path, choices: (item.choices ?? []).length <= 25 }).toEqual({ path, choices: true });
      for (const option of item.options ?? []) check(option, `${path} ${option.name}`);
    };
    for (const command of commands) check(command as unknown as Option, command.name);

    const printed = JSON.parse(
      execFileSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'print-commands.js')], {
        encoding: 'utf8',
      }),
    ) as Option[];
    expect(printed.map((c) => c.name).sort()).toEqual(commands.map((c) => c.name).sort());
    expect(MAIN_JS).toContain('dist');
  });
});
