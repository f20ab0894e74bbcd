import { aService } from '../../test/support/factories';
import { parseOutsideRuns } from './service.rules';

describe('parseOutsideRuns', () => {
  const service = aService({ environments: ['staging', 'prod'] });

  it('takes reject or ignore, and leaves where runs deploy as it is when not given', () => {
    expect(parseOutsideRuns(service, { unknownEnvironments: ' Ignore ' })).toEqual({
      unknownEnvironments: 'ignore',
    });
    expect(() => parseOutsideRuns(service, { unknownEnvironments: 'maybe' })).toThrow(
      'Invalid unknown-environments: reject or ignore.',
    );
  });

  it('takes deployments, or fixed with one of the service’s environments', () => {
    expect(
      parseOutsideRuns(service, { unknownEnvironments: 'reject', environmentFrom: 'deployments' }),
    ).toEqual({ unknownEnvironments: 'reject', environmentFrom: 'deployments' });
    expect(
      parseOutsideRuns(service, {
        unknownEnvironments: 'reject',
        environmentFrom: 'fixed',
        environment: 'Staging',
      }),
    ).toEqual({ unknownEnvironments: 'reject', environmentFrom: { fixed: 'staging' } });
  });

  it.each([
    [{ environmentFrom: 'fixed' }, 'name the environment every run started outside the bot'],
    [
      { environmentFrom: 'fixed', environment: 'qa' },
      'Invalid environment: "qa" is not an environment of api (staging, prod).',
    ],
    [{ environment: 'prod' }, 'Invalid environment: it goes with environment-from:fixed only.'],
    [
      { environmentFrom: 'deployments', environment: 'prod' },
      'it goes with environment-from:fixed only',
    ],
    [{ environmentFrom: 'push' }, 'Invalid environment-from: deployments or fixed.'],
  ])('refuses %j', (input, message) => {
    expect(() => parseOutsideRuns(service, { unknownEnvironments: 'reject', ...input })).toThrow(
      message,
    );
  });
});
