import mongoose, { Connection } from 'mongoose';
import { ManualClock } from '../../libs/clock';
import { testDatabaseUri } from '../../test/support/database';
import { strictFake } from '../../test/support/strict-fake';
import { AccessService } from '../access/access.service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { FreezeRepository, StoredWindow, WindowRepository } from './schedule.repository';
import { FreezeDocument, FreezeSchema, WindowDocument, WindowSchema } from './schedule.schema';
import { TargetSchedule } from './target-schedule.service';

const HOUR = 3_600_000;
// A Saturday: inside the weekend deny window below.
const OVERRIDE_AT = new Date('2026-12-05T12:00:00Z');
const by = { id: '7', name: 'alice' };
const weekend = (at: Date, id = 'w-111111'): StoredWindow => ({
  id,
  kind: 'deny',
  cron: '0 16 * * 5',
  durationMs: 64 * HOUR,
  timeZone: 'Europe/Berlin',
  service: 'api',
  environment: 'prod',
  by,
  at,
});

/** What closes a target, and what an admin's "Deploy anyway" covers, on the real engine. */
describe('TargetSchedule on the real engine', () => {
  let connection: Connection;
  let freezeModel: mongoose.Model<FreezeDocument>;
  let windowModel: mongoose.Model<WindowDocument>;
  let clock: ManualClock;
  let schedule: TargetSchedule;
  let freezes: FreezeRepository;
  let windows: WindowRepository;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('target_schedule')).asPromise();
    freezeModel = connection.model(FreezeDocument.name, FreezeSchema);
    windowModel = connection.model(WindowDocument.name, WindowSchema);
    await Promise.all([freezeModel.init(), windowModel.init()]);
    freezes = new FreezeRepository(freezeModel);
    windows = new WindowRepository(windowModel);
  });
  afterAll(() => connection.close());
  beforeEach(async () => {
    await Promise.all([freezeModel.deleteMany({}), windowModel.deleteMany({})]);
    clock = new ManualClock(new Date(OVERRIDE_AT.getTime() + HOUR));
    schedule = new TargetSchedule(
      strictFake<AccessService>('access'),
      strictFake<ServiceRegistryService>('registry'),
      freezes,
      windows,
      clock,
    );
  });

  /** An override made through a freeze alone: the windows did not close the target then. */
  const throughFreeze = { at: OVERRIDE_AT, rule: 'freeze' as const, windowsClosed: false };
  const freeze = (at: Date, environment = 'prod') =>
    freezes.freeze({ environment, reason: 'release week', by, at }, at);

  it('lets an override through what closed the target when it was made', async () => {
    await freeze(new Date(OVERRIDE_AT.getTime() - HOUR));
    await windows.add(weekend(new Date('2026-11-01T00:00:00Z')));
    expect((await schedule.closure('api', 'prod'))?.kind).toBe('freeze');
    // Made through the freeze, the weekend window closing the target then too.
    expect(await schedule.windowsClosed('api', 'prod')).toBe(true);
    const override = { at: OVERRIDE_AT, rule: 'freeze' as const, windowsClosed: true };
    expect(await schedule.closure('api', 'prod', undefined, override)).toBeUndefined();
  });

  it('stops an override at a freeze made after it (lifted and frozen again, or wider)', async () => {
    await freeze(new Date(OVERRIDE_AT.getTime() - HOUR));
    await freeze(new Date(OVERRIDE_AT.getTime() + 60_000), '*');
    const closure = await schedule.closure('api', 'prod', undefined, throughFreeze);
    expect(closure?.kind).toBe('freeze');
    expect(closure?.error.message).toContain('release week');
  });

  it('stops an override at a deny window added after it that covers now', async () => {
    await windows.add(weekend(new Date(OVERRIDE_AT.getTime() + 60_000)));
    const closure = await schedule.closure('api', 'prod', undefined, throughFreeze);
    expect(closure?.kind).toBe('window');
    expect(closure?.error.code).toBe('DEPLOY.WINDOW_CLOSED');
  });

  it('stops an override at windows that close the target when they did not then (one removed)', async () => {
    // Saturday 5 December: from 09:00 for 10 h, and from 20:00 for an hour (UTC).
    const day = { ...weekend(new Date('2026-11-01T00:00:00Z'), 'w-222222'), timeZone: 'UTC' };
    await windows.add({ ...day, kind: 'allow', cron: '0 9 * * *', durationMs: 10 * HOUR });
    const evening = { ...day, id: 'w-333333', kind: 'allow' as const, cron: '0 20 * * *' };
    await windows.add({ ...evening, durationMs: HOUR });
    await freeze(new Date(OVERRIDE_AT.getTime() - HOUR));
    // At 13:00 the day window had the target open: the override went through the freeze only.
    expect(await schedule.windowsClosed('api', 'prod')).toBe(false);
    // An admin removes the day window to stop deploys: the windows close it now.
    await windows.remove('api', 'prod', 'w-222222');
    const closure = await schedule.closure('api', 'prod', undefined, throughFreeze);
    expect(closure?.kind).toBe('window');
    // An override from before the windows' state was recorded through the freeze: the same.
    const older = { at: OVERRIDE_AT, rule: 'freeze' as const };
    expect((await schedule.closure('api', 'prod', undefined, older))?.kind).toBe('window');
  });

  it('says when a closed target opens, and keeps that answer only while it holds', async () => {
    await windows.add(weekend(new Date('2026-11-01T00:00:00Z')));
    const closed = await schedule.closure('api', 'prod');
    // Friday 4 December 16:00 CET + 64 h = Monday 7 December 08:00 CET = 07:00Z.
    expect(closed?.kind === 'window' && closed.state.changesAt?.toISOString()).toBe(
      '2026-12-07T07:00:00.000Z',
    );
    clock.advance(new Date('2026-12-07T07:00:00Z').getTime() - clock.now().getTime());
    expect(await schedule.closure('api', 'prod')).toBeUndefined();
    const view = await schedule.viewOf('api', 'prod');
    expect(view.state).toEqual({ open: true, changesAt: new Date('2026-12-11T15:00:00Z') });
    // A window removed is a new set of windows: nothing kept from before applies.
    await windows.remove('api', 'prod', 'w-111111');
    expect((await schedule.viewOf('api', 'prod')).state).toEqual({ open: true });
  });
});
