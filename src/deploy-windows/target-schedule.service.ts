import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { Clock } from '../../libs/clock';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { utcTime } from '../../libs/text';
import { AccessService } from '../access/access.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import {
  AlreadyFrozenError,
  FrozenError,
  NotFrozenError,
  WindowClosedError,
} from './schedule.errors';
import {
  ALL_ENVIRONMENTS,
  Freeze,
  FreezeRepository,
  StoredWindow,
  WindowRepository,
} from './schedule.repository';
import {
  checkWindow,
  DeployWindow,
  formatWindowDuration,
  closedTheSameSince,
  localTime,
  parseDuration,
  scheduleAt,
  ScheduleState,
  WindowSpan,
} from './window-rules';

/**
 * What an admin's "Deploy anyway" went through: made at `at`, through a freeze or the windows
 * (`rule`), and whether the windows closed the target then (absent on older overrides).
 */
export interface CoveredClosure {
  at: Date;
  rule: 'freeze' | 'window';
  windowsClosed?: boolean;
}

/** Why a target takes no deploys now: a freeze, or its windows. */
export type Closure =
  | { kind: 'freeze'; freeze: Freeze; error: FrozenError }
  | { kind: 'window'; state: ScheduleState; error: WindowClosedError };

/** Where a target stands: its freezes, its windows and whether they let it take deploys. */
export interface TargetScheduleView {
  freezes: Freeze[];
  windows: StoredWindow[];
  state: ScheduleState;
}

/** The most windows one target may have. */
export const MAX_WINDOWS = 10;
/** How long a target's computed state is kept at most, and for how many targets. */
const STATE_KEPT_MS = 5 * 60_000;
const MAX_KEPT_STATES = 1_000;
/** A freeze ends at most this far ahead (`until`). */
const MAX_FREEZE_MS = 366 * 24 * 3_600_000;

/**
 * When a target takes deploys: admins' freezes (`/freeze`, `/unfreeze`, lifted by themselves at
 * `until`) and each target's scheduled deny and allow windows (`/service window`). Both live in
 * MongoDB, so they hold on every instance and across restarts. Rollbacks are never stopped here:
 * they restore.
 */
@Injectable()
export class TargetSchedule {
  constructor(
    private readonly access: AccessService,
    private readonly registry: ServiceRegistryService,
    private readonly freezes: FreezeRepository,
    private readonly windows: WindowRepository,
    private readonly clock: Clock,
  ) {}

  private readonly states = new Map<
    string,
    { fingerprint: string; from: number; until: number; state: ScheduleState }
  >();

  async freeze(
    actor: Actor,
    input: { environment: string; reason: string; service?: string; until?: string },
  ): Promise<Freeze> {
    const scope = await this.scopeOf(actor, input.environment, input.service, 'freeze');
    const reason = input.reason.trim();
    if (!reason) throw new ValidationError('Invalid reason: say why deploys stop.');
    const now = this.clock.now();
    const until = input.until?.trim() ? parseUntil(input.until, now) : undefined;
    const freeze: Freeze = {
      ...(scope.service ? { service: scope.service } : {}),
      environment: scope.environment,
      reason: reason.slice(0, 300),
      by: { id: actor.id, name: actor.name },
      at: now,
      ...(until ? { until } : {}),
    };
    const outcome = await this.freezes.freeze(freeze, now);
    if (!outcome.frozen) throw new AlreadyFrozenError(outcome.existing);
    return freeze;
  }

  async unfreeze(actor: Actor, environment: string, service?: string): Promise<Freeze> {
    const scope = await this.scopeOf(actor, environment, service, 'unfreeze');
    const lifted = await this.freezes.unfreeze(scope.service, scope.environment, this.clock.now());
    if (!lifted)
      throw new NotFrozenError(
        `${scope.service ?? 'Every service'} → ${scope.environment === ALL_ENVIRONMENTS ? 'every environment' : scope.environment}`,
      );
    return lifted;
  }

  /** Adds a window to a target, with its next three spans; refused if it would never open. */
  async addWindow(
    actor: Actor,
    input: {
      service: string;
      environment: string;
      kind: 'deny' | 'allow';
      cron: string;
      duration: string;
      timeZone: string;
    },
  ): Promise<{ window: StoredWindow; next: WindowSpan[] }> {
    const environment = input.environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(input.service, environment);
    await this.access.requireAdmin(actor, 'change deploy windows', environment);
    const durationMs = parseDuration(input.duration);
    if (durationMs === undefined)
      throw new ValidationError(
        'Invalid duration: minutes, hours, days or weeks, such as `45m`, `8h`, `64h` or `1d12h`.',
      );
    const existing = await this.windows.listFor(service.name, environment);
    if (existing.length >= MAX_WINDOWS)
      throw new ValidationError(
        `${service.name} → ${environment} has ${MAX_WINDOWS} windows already, the most allowed: remove one first.`,
      );
    const now = this.clock.now();
    const window: StoredWindow = {
      id: `w-${randomBytes(3).toString('hex')}`,
      kind: input.kind,
      cron: input.cron.trim().replace(/\s+/g, ' '),
      durationMs,
      timeZone: input.timeZone.trim(),
      service: service.name,
      environment,
      by: { id: actor.id, name: actor.name },
      at: now,
    };
    const { next } = checkWindow(window, existing, now);
    await this.windows.add(window);
    return { window, next };
  }

  async removeWindow(
    actor: Actor,
    serviceName: string,
    environment: string,
    id: string,
  ): Promise<StoredWindow> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(serviceName, env);
    await this.access.requireAdmin(actor, 'change deploy windows', env);
    const removed = await this.windows.remove(service.name, env, id.trim());
    if (!removed)
      throw new ValidationError(
        `${service.name} → ${env} has no window ${id.trim().slice(0, 20)}: /service window list shows its windows.`,
      );
    return removed;
  }

  /** Freezes, windows and where the target stands now, for /status and /service window list. */
  async viewOf(service: string, environment: string): Promise<TargetScheduleView> {
    const now = this.clock.now();
    const [freezes, windows] = await Promise.all([
      this.freezes.findFor(service, environment, now),
      this.windows.listFor(service, environment),
    ]);
    return { freezes, windows, state: this.stateOf(service, environment, windows, now) };
  }

  /**
   * Why the target takes no deploys now, if it does not: a freeze (the one that lasts longest)
   * comes first, then the windows. `after` ends the message (what happens to the request).
   * `override`: an admin's "Deploy anyway" covers what closed the target when it was made, and
   * only that: a freeze made since, a deny span that started since, the end of the allow window
   * it was in, or windows closing a target they did not close then (one removed, say) stops it.
   * The windows' state is kept per target (`stateOf`).
   */
  async closure(
    service: string,
    environment: string,
    after?: string,
    override?: CoveredClosure,
  ): Promise<Closure | undefined> {
    const target = { service, environment };
    const now = this.clock.now();
    const since = override ? new Date(override.at) : undefined;
    const freezes = await this.freezes.findFor(service, environment, now);
    const freeze = freezes.find((each) => !since || each.at.getTime() > since.getTime());
    if (freeze) return { kind: 'freeze', freeze, error: new FrozenError(target, freeze, after) };
    const windows = await this.windows.listFor(service, environment);
    if (windows.length === 0) return undefined;
    const state = this.stateOf(service, environment, windows, now);
    if (state.open) return undefined;
    // Made before the windows' state was recorded on overrides: its rule says whether they closed it.
    const windowsClosedThen = override && (override.windowsClosed ?? override.rule === 'window');
    if (since && windowsClosedThen && closedTheSameSince(windows, since, now)) return undefined;
    return {
      kind: 'window',
      state,
      error: new WindowClosedError(target, closedText(state), after),
    };
  }

  /**
   * The target's state with its next change. The search walks window starts on the event loop,
   * so its answer is kept per target for as long as it holds: until the change it found (or five
   * minutes), for the same windows (any change to them is a new key, on every instance).
   */
  private stateOf(
    service: string,
    environment: string,
    windows: DeployWindow[],
    now: Date,
  ): ScheduleState {
    const key = `${service}|${environment}`;
    const fingerprint = windows
      .map((w) => `${w.id}/${w.kind}/${w.cron}/${w.durationMs}/${w.timeZone}`)
      .join(' ');
    const kept = this.states.get(key);
    if (
      kept &&
      kept.fingerprint === fingerprint &&
      now.getTime() >= kept.from &&
      now.getTime() < kept.until
    )
      return kept.state;
    const state = scheduleAt(windows, now);
    const until = Math.min(
      state.changesAt?.getTime() ?? Infinity,
      state.lookedUntil?.getTime() ?? Infinity,
      now.getTime() + STATE_KEPT_MS,
    );
    if (this.states.size >= MAX_KEPT_STATES) this.states.clear();
    this.states.set(key, { fingerprint, from: now.getTime(), until, state });
    return state;
  }

  /** Whether the target's windows alone close it now (whatever its freezes). */
  async windowsClosed(service: string, environment: string): Promise<boolean> {
    const windows = await this.windows.listFor(service, environment);
    return (
      windows.length > 0 && !this.stateOf(service, environment, windows, this.clock.now()).open
    );
  }

  /** Refuses a target closed by a freeze or its windows (beyond what `override` covers). */
  async refuseClosed(
    service: string,
    environment: string,
    after?: string,
    override?: CoveredClosure,
  ): Promise<void> {
    const closure = await this.closure(service, environment, after, override);
    if (closure) throw closure.error;
  }

  /**
   * The scope of a freeze: one environment or all (`all`), of one service or of every service.
   * An admin of every environment concerned; an environment some service deploys to.
   */
  private async scopeOf(
    actor: Actor,
    environment: string,
    serviceName: string | undefined,
    action: 'freeze' | 'unfreeze',
  ): Promise<{ service?: string; environment: string }> {
    const env = environment.trim().toLowerCase();
    const all = env === 'all' || env === ALL_ENVIRONMENTS;
    if (serviceName?.trim()) {
      const service = all
        ? await this.registry.get(serviceName)
        : await this.registry.getForEnvironment(serviceName, env);
      for (const each of all ? service.environments : [env])
        await this.access.requireAdmin(actor, `${action} ${service.name}`, each);
      return { service: service.name, environment: all ? ALL_ENVIRONMENTS : env };
    }
    if (all) {
      await this.access.requireAdmin(actor, `${action} every environment`);
      return { environment: ALL_ENVIRONMENTS };
    }
    const served = (await this.registry.list()).some((service) =>
      service.environments.includes(env),
    );
    if (!served)
      throw new ValidationError(
        `No service deploys to ${env.slice(0, 32)}: nothing to ${action}. /service list shows the environments.`,
      );
    await this.access.requireAdmin(actor, action, env);
    return { environment: env };
  }
}

/** What closes the target by its windows, and when it opens. */
export function closedText(state: ScheduleState): string {
  const opens = state.changesAt
    ? `it opens ${utcTime(state.changesAt)}`
    : state.lookedUntil
      ? `it stays closed at least until ${utcTime(state.lookedUntil)}`
      : 'no opening within a year';
  const span = state.deniedBy;
  if (span)
    return `deny window ${span.window.id} (\`${span.window.cron}\` for ${formatWindowDuration(span.window.durationMs)}, ${span.window.timeZone}) until ${localTime(span.end, span.window.timeZone)}; ${opens}`;
  return `no allow window covers now; ${opens}`;
}

/** When an open target closes, as `; closes …`, written by `when`; empty if not within a year. */
export function closesText(state: ScheduleState, when: (at: Date) => string): string {
  if (state.changesAt) return `; closes ${when(state.changesAt)}`;
  if (state.lookedUntil) return `; open at least until ${when(state.lookedUntil)}`;
  return '';
}

/** How a window reads in a list. */
export function windowLine(window: DeployWindow): string {
  return `${window.id} ${window.kind} \`${window.cron}\` for ${formatWindowDuration(window.durationMs)} (${window.timeZone})`;
}

/**
 * `until`: a duration from now (`2h`, `3d`) or a date and time (ISO 8601; `2026-12-24 18:00`
 * without an offset is UTC). In the past, or more than a year ahead, is refused.
 */
export function parseUntil(text: string, now: Date): Date {
  const trimmed = text.trim();
  const duration = parseDuration(trimmed);
  let until: Date | undefined;
  if (duration !== undefined) until = new Date(now.getTime() + duration);
  else {
    const parsed = DateTime.fromISO(trimmed.replace(' ', 'T'), { zone: 'UTC', setZone: true });
    if (parsed.isValid) until = parsed.toJSDate();
  }
  if (!until)
    throw new ValidationError(
      'Invalid until: a duration such as `2h` or `3d`, or a date and time such as `2026-12-24 18:00` (UTC) or `2026-12-24T18:00+01:00`.',
    );
  if (until.getTime() <= now.getTime())
    throw new ValidationError(`Invalid until: ${utcTime(until)} is in the past.`);
  if (until.getTime() - now.getTime() > MAX_FREEZE_MS)
    throw new ValidationError('Invalid until: at most a year ahead.');
  return until;
}
