import { aService } from '../../test/support/factories';
import { channelOf, outsideRunsOf } from './service';

describe('channelOf', () => {
  const service = aService({ targets: { prod: { channelId: '111' }, staging: {} } });

  it("is the target's own channel, whatever the fallback", () => {
    expect(channelOf(service, 'prod', '999')).toBe('111');
    expect(channelOf(service, 'prod')).toBe('111');
  });

  it('is the fallback for a target without one, or none', () => {
    expect(channelOf(service, 'staging', '999')).toBe('999');
    expect(channelOf(aService(), 'prod', '999')).toBe('999');
    expect(channelOf(service, 'staging')).toBeUndefined();
  });

  it('never takes a name from GitHub for a channel of its own', () => {
    expect(channelOf(service, 'constructor', '999')).toBe('999');
    expect(channelOf(service, '__proto__', '999')).toBe('999');
  });
});

describe('outsideRunsOf', () => {
  it('rejects unknown environments and reads environments from deployments by default', () => {
    expect(outsideRunsOf(aService())).toEqual({
      unknownEnvironments: 'reject',
      environmentFrom: 'deployments',
    });
  });

  it('fills in only what is not set', () => {
    expect(outsideRunsOf(aService({ outsideRuns: { unknownEnvironments: 'ignore' } }))).toEqual({
      unknownEnvironments: 'ignore',
      environmentFrom: 'deployments',
    });
    expect(
      outsideRunsOf(
        aService({
          outsideRuns: { unknownEnvironments: 'reject', environmentFrom: { fixed: 'staging' } },
        }),
      ),
    ).toEqual({ unknownEnvironments: 'reject', environmentFrom: { fixed: 'staging' } });
  });
});
