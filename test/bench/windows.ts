import {
  checkWindow,
  DeployWindow,
  scheduleAt,
  SEARCH_BUDGET,
} from '../../src/deploy-windows/window-rules';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-04T12:00:00Z');

export interface WindowFigure {
  case: string;
  msPerCall: number;
}

/** Ten hourly allow windows a minute long, at their own minutes: the densest accepted. */
const hourlyAllows: DeployWindow[] = Array.from({ length: 10 }, (_, i) => ({
  id: `w-a${i}`,
  kind: 'allow',
  cron: `${i} * * * *`,
  durationMs: 60_000,
  timeZone: 'Europe/Berlin',
}));
const firstWeek: DeployWindow = {
  id: 'w-m',
  kind: 'deny',
  cron: '0 0 1 * *',
  durationMs: 7 * 24 * HOUR,
  timeZone: 'Europe/Berlin',
};
const weekend: DeployWindow = {
  id: 'w-w',
  kind: 'deny',
  cron: '0 16 * * 5',
  durationMs: 64 * HOUR,
  timeZone: 'Europe/Berlin',
};
const office: DeployWindow = {
  id: 'w-o',
  kind: 'allow',
  cron: '0 9 * * 1-5',
  durationMs: 8 * HOUR,
  timeZone: 'Europe/Berlin',
};

function time(label: string, fn: () => unknown, calls: number): WindowFigure {
  fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  const ms = Number(process.hrtime.bigint() - started) / 1e6 / calls;
  return { case: label, msPerCall: Math.round(ms * 100) / 100 };
}

const refused = (fn: () => unknown) => () => {
  try {
    fn();
  } catch {
    // Refused, as expected: the time to refuse is what is measured.
  }
};

/**
 * (g) Deploy windows on the event loop: a target's state and its next change (bounded by
 * SEARCH_BUDGET starts; kept per target until that change), and checking a new window (once, at
 * /service window add).
 */
export function measureWindows(): WindowFigure[] {
  const inFirstWeek = new Date('2027-01-01T00:30:00Z');
  // Inside the allow window at minute 5, outside the deny window.
  const openMinute = new Date('2026-12-31T22:05:30Z');
  return [
    time(
      'state and next change while open, 11 windows (10 hourly allow + a deny)',
      () => scheduleAt([...hourlyAllows, firstWeek], openMinute),
      50,
    ),
    time(
      `next opening, same, closed (stops at ${SEARCH_BUDGET} starts)`,
      () => scheduleAt([...hourlyAllows, firstWeek], inFirstWeek),
      20,
    ),
    time(
      'next change, weekend deny + office-hours allow',
      () => scheduleAt([weekend, office], NOW),
      50,
    ),
    time(
      'add a window: weekend deny beside office hours',
      () => checkWindow(weekend, [office], NOW),
      10,
    ),
    time(
      'add a window: the 10th hourly allow (densest accepted)',
      refused(() => checkWindow(hourlyAllows[9], hourlyAllows.slice(0, 9), NOW)),
      5,
    ),
    time(
      'add a window, refused: deny 0 0 * * * for 24h (closed for good)',
      refused(() => checkWindow({ ...weekend, cron: '0 0 * * *', durationMs: 24 * HOUR }, [], NOW)),
      5,
    ),
    time(
      'add a window, refused: * * * * * (more than hourly)',
      refused(() => checkWindow({ ...weekend, cron: '* * * * *' }, [], NOW)),
      20,
    ),
  ];
}

export function printWindows(figures: WindowFigure[]): void {
  console.log('\n(g) Deploy windows, per call on the event loop');
  console.table(figures.map((figure) => ({ case: figure.case, 'ms per call': figure.msPerCall })));
}
