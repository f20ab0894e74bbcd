import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for';

export const MAIN_JS = resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** The built app (`dist/src/main.js`) as a child process, with everything it prints. */
export class AppProcess {
  private static readonly live = new Set<AppProcess>();
  output = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      AppProcess.live.delete(this);
    });
    AppProcess.live.add(this);
  }

  /** Kills every app a test left running (call from afterEach). */
  static async killAll(): Promise<void> {
    const running = [...AppProcess.live];
    for (const app of running) app.child.kill('SIGKILL');
    await Promise.all(running.map((app) => app.exited()));
  }

  static spawn(env: Record<string, string | undefined>, cwd: string): AppProcess {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async port(timeoutMs = 30_000): Promise<number> {
    const match = await waitFor(
      'the app to listen',
      () => this.output.match(/Listening on port (\d+)/) ?? this.failIfExited(),
      { timeoutMs },
    );
    return Number(match[1]);
  }

  async exited(
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return waitFor('the app to exit', () => this.exit, { timeoutMs });
  }

  private failIfExited(): undefined {
    if (this.exit)
      throw new Error(`the app exited (${this.exit.signal ?? this.exit.code}):\n${this.output}`);
    return undefined;
  }
}

/** Pids of live processes whose command line contains `text` (Linux /proc). */
export function pidsWithArgument(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const status = readFileSync(join('/proc', pid, 'stat'), 'utf8');
        if (/\) Z /.test(status)) return false;
        return readFileSync(join('/proc', pid, 'cmdline'), 'utf8')
          .split('\0')
          .some((arg) => arg.includes(text));
      } catch {
        return false;
      }
    })
    .map(Number);
}
