import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { waitFor } from '../../test/support/wait-for';
import { defaultCacheDir, EngineHost, stableSocketPathFor } from './engine-host';
import { resolveHostRuntime } from './private-glibc';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('EngineHost', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'chatops-host-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves a data directory that survives a restart, on the same URI', async () => {
    const first = await EngineHost.start({ dataDir });
    const connection = await mongoose
      .createConnection(first.uri, { dbName: 'persist' })
      .asPromise();
    await connection.collection('things').insertOne({ name: 'kept' });
    await connection.close();
    await first.stop();
    expect(first.running).toBe(false);

    const second = await EngineHost.start({ dataDir });
    try {
      expect(second.uri).toBe(first.uri);
      const again = await mongoose.createConnection(second.uri, { dbName: 'persist' }).asPromise();
      expect(await again.collection('things').findOne({}, { projection: { _id: 0 } })).toEqual({
        name: 'kept',
      });
      await again.close();
    } finally {
      await second.stop();
    }
  });

  it('reports an unexpected exit, and not a requested stop', async () => {
    const host = await EngineHost.start({ dataDir });
    const exits: string[] = [];
    host.onUnexpectedExit((code, signal) => exits.push(String(signal ?? code)));
    process.kill(host.pid!, 'SIGKILL');
    await waitFor('the exit to be reported', () => exits.length === 1);
    expect(exits).toEqual(['SIGKILL']);

    const other = await EngineHost.start({ dataDir });
    other.onUnexpectedExit(() => exits.push('unexpected'));
    await other.stop();
    expect(exits).toHaveLength(1);
  });

  it('exits when the process that started it dies, however it dies', async () => {
    const runtime = await resolveHostRuntime(defaultCacheDir());
    const script = `
      const { spawn } = require('node:child_process');
      const [command, args] = JSON.parse(process.argv[1]);
      const host = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
      host.stdout.once('data', () => console.log(host.pid));
    `;
    const args = [
      ...runtime.prefixArgs,
      join(__dirname, 'host-main.js'),
      dataDir,
      stableSocketPathFor(dataDir),
    ];
    const parent = spawn(
      process.execPath,
      ['-e', script, JSON.stringify([runtime.command, args])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const hostPid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    expect(isAlive(hostPid)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor('the orphaned host to exit', () => !isAlive(hostPid));
  });

  it('refuses a socket directory someone else could enter, or that is a link', async () => {
    const open = join(dataDir, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    await expect(
      EngineHost.start({ dataDir, socketPath: join(open, 'mongodb.sock') }),
    ).rejects.toThrow(/must be a directory owned by this user with mode 0700/);
    const target = join(dataDir, 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(dataDir, 'link'));
    await expect(
      EngineHost.start({ dataDir, socketPath: join(dataDir, 'link', 'mongodb.sock') }),
    ).rejects.toThrow(/must be a directory owned by this user with mode 0700/);
  });

  it('explains a data directory it cannot open', async () => {
    const first = await EngineHost.start({ dataDir });
    try {
      await expect(
        EngineHost.start({ dataDir, socketPath: join(dataDir, 's.sock') }),
      ).rejects.toThrow(/engine host failed/);
    } finally {
      await first.stop();
    }
  });
});
