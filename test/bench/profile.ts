/**
 * `npm run bench -- hot profile`: V8's CPU profiler (node:inspector, as `node --cpu-prof` uses)
 * around each hot path, and where the time went: self time by package, by folder of the app's
 * own code, and the app's heaviest functions. The bench, the fakes and the bare baseline run in
 * the same process, so they are shown as such (test/…).
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Breakdown {
  label: string;
  totalMs: number;
  /** Share of the sampled time, by where the code lives. */
  byPlace: Array<{ place: string; percent: number }>;
  /** The app's own functions with the most self time. */
  appFunctions: Array<{ fn: string; percent: number }>;
}

/** Where a frame's code lives: a package, a folder of the app, the bench, or V8 and Node. */
function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist-bench\/(src|libs|test)\/([^/]+)/.exec(url);
  if (own) return own[1] === 'test' ? `bench & fakes (test/${own[2]})` : `${own[1]}/${own[2]}`;
  return '(other)';
}

export class HotProfiler {
  private readonly session = new Session();
  readonly breakdowns: Breakdown[] = [];

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 100 });
  }

  async measure<T>(label: string, work: () => Promise<T>): Promise<T> {
    await this.session.post('Profiler.start');
    try {
      return await work();
    } finally {
      const { profile } = (await this.session.post('Profiler.stop')) as { profile: Profile };
      mkdirSync('bench-results', { recursive: true });
      writeFileSync(`bench-results/hot-${label}.cpuprofile`, JSON.stringify(profile));
      this.breakdowns.push(breakdown(label, profile));
    }
  }

  stop(): void {
    this.session.disconnect();
  }
}

export function breakdown(label: string, profile: Profile): Breakdown {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') return;
    total += delta;
    const place = placeOf(url, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + delta);
    if (/^(src|libs)\//.test(place)) {
      const fn = `${functionName || '(anonymous)'} ${url.replace(/.*\/dist-bench\//, '')}:${lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + delta);
    }
  });
  const percent = (us: number) => Math.round((us / total) * 1000) / 10;
  const top = <K extends string>(map: Map<string, number>, key: K, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([name, us]) =>
          ({ [key]: name, percent: percent(us) }) as Record<K, string> & {
            percent: number;
          },
      );
  return {
    label,
    totalMs: Math.round(total / 1000),
    byPlace: top(byPlace, 'place', 18),
    appFunctions: top(byFunction, 'fn', 12),
  };
}

export function printBreakdowns(breakdowns: Breakdown[]): void {
  for (const b of breakdowns) {
    console.log(`\nProfile of ${b.label}: ${b.totalMs} ms of CPU sampled (idle left out)`);
    console.log('| where | share |');
    console.log('| --- | --- |');
    for (const row of b.byPlace) console.log(`| ${row.place} | ${row.percent}% |`);
    console.log('| the app’s heaviest functions (self time) | |');
    for (const row of b.appFunctions) console.log(`| ${row.fn} | ${row.percent}% |`);
  }
}
