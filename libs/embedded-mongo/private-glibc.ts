import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The engine's native addon needs glibc 2.38 or newer (C23 symbols). */
const REQUIRED_GLIBC = [2, 38];
const SUITE = 'trixie';

interface Arch {
  debian: string;
  triplet: string;
  loader: string;
}

const ARCHES: Record<string, Arch> = {
  x64: { debian: 'amd64', triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' },
  arm64: { debian: 'arm64', triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
};

/** How to start a process that can load the engine: `node` itself, or node under a newer loader. */
export interface HostRuntime {
  command: string;
  prefixArgs: string[];
  kind: 'native' | 'private-glibc';
}

export function systemGlibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime;
}

export function needsPrivateGlibc(version = systemGlibcVersion()): boolean {
  if (process.platform !== 'linux' || !version) return false;
  const [major, minor] = version.split('.').map(Number);
  return major < REQUIRED_GLIBC[0] || (major === REQUIRED_GLIBC[0] && minor < REQUIRED_GLIBC[1]);
}

/**
 * Prepares (once, cached under `cacheDir`) a private copy of Debian's newer glibc and returns
 * the command line that runs node under it. Nothing outside `cacheDir` is touched.
 */
export async function resolveHostRuntime(cacheDir: string): Promise<HostRuntime> {
  if (!needsPrivateGlibc()) return { command: process.execPath, prefixArgs: [], kind: 'native' };
  const arch = ARCHES[process.arch];
  if (!arch) throw new Error(`no private glibc recipe for architecture ${process.arch}`);
  const root = join(cacheDir, `glibc-${SUITE}-${arch.debian}`);
  const libDir = join(root, 'usr', 'lib', arch.triplet);
  if (!existsSync(join(libDir, arch.loader))) await downloadGlibc(cacheDir, root, arch);
  return {
    command: join(libDir, arch.loader),
    prefixArgs: [
      '--library-path',
      [libDir, `/usr/lib/${arch.triplet}`, `/lib/${arch.triplet}`].join(':'),
      process.execPath,
    ],
    kind: 'private-glibc',
  };
}

async function downloadGlibc(cacheDir: string, root: string, arch: Arch): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'prepare-'));
  try {
    for (const dir of ['lists/partial', 'cache/archives/partial', 'pkg']) {
      mkdirSync(join(work, dir), { recursive: true });
    }
    const sources = join(work, 'sources.list');
    writeFileSync(
      sources,
      `deb [arch=${arch.debian} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${SUITE} main\n`,
    );
    const aptOptions = [
      '-o', `Dir::Etc::SourceList=${sources}`,
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::State::Lists=${join(work, 'lists')}`,
      '-o', `Dir::Cache=${join(work, 'cache')}`,
      '-o', 'Debug::NoLocking=1',
      '-o', 'APT::Sandbox::User=root',
      '-o', `APT::Architecture=${arch.debian}`,
    ]; // prettier-ignore
    const timeout = 120_000;
    await run('apt-get', [...aptOptions, '-qq', 'update'], { timeout });
    await run('apt-get', [...aptOptions, '-qq', 'download', `libc6:${arch.debian}`], {
      cwd: join(work, 'pkg'),
      timeout,
    });
    const deb = readdirSync(join(work, 'pkg')).find((file) => file.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download produced no libc6 package');
    await run('dpkg-deb', ['-x', join(work, 'pkg', deb), join(work, 'root')], { timeout });
    try {
      renameSync(join(work, 'root'), root);
    } catch (error) {
      // Another process prepared it first: theirs is as good as ours.
      if (!existsSync(root)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
