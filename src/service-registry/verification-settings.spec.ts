import { ValidationError } from '../../libs/errors';
import {
  formatSpan,
  parseMinSoak,
  parseSpan,
  parseVerification,
  shownUrl,
} from './verification-settings';

describe('verification settings', () => {
  it('reads spans as people write them, and writes them back', () => {
    expect(parseSpan('30s')).toBe(30_000);
    expect(parseSpan('1h30m')).toBe(5_400_000);
    expect(parseSpan('1h 30m')).toBe(5_400_000);
    expect(parseSpan('0s')).toBe(0);
    expect(parseSpan('2d')).toBe(172_800_000);
    for (const bad of ['', '10', 'm', '1x', '-5m', '1.5h']) expect(parseSpan(bad)).toBeUndefined();
    expect(formatSpan(5_400_000)).toBe('1h 30m');
    expect(formatSpan(0)).toBe('0s');
  });

  it('fills in the defaults, and keeps what is not given on a change', () => {
    const plan = parseVerification(undefined, { url: 'https://api.example.com/health' });
    expect(plan).toEqual({
      url: 'https://api.example.com/health',
      expectStatus: 200,
      soakMs: 600_000,
      intervalMs: 30_000,
      failuresToFail: 3,
      autoRollback: false,
      onRunFailure: false,
    });
    const changed = parseVerification(plan, {
      soak: '2m',
      autoRollback: 'on',
      onRunFailure: true,
      check: 'smoke@github-actions',
      body: 'ok',
    });
    expect(changed).toMatchObject({
      url: 'https://api.example.com/health',
      soakMs: 120_000,
      autoRollback: true,
      onRunFailure: true,
      check: 'smoke@github-actions',
      bodyContains: 'ok',
    });
    expect(parseVerification(changed, { body: 'none', url: 'none' })).not.toHaveProperty('url');
  });

  it.each([
    [{ url: 'ftp://api.example.com/' }, 'Invalid url'],
    [{ url: 'https://user:pw@api.example.com/' }, 'Invalid url'],
    [{ url: 'https://api.example.com/', soak: '8d' }, 'Invalid soak'],
    [{ url: 'https://api.example.com/', interval: '500ms' }, 'Invalid interval'],
    [{ url: 'https://api.example.com/', interval: '0s' }, 'Invalid interval'],
    [{ url: 'https://api.example.com/', failures: 0 }, 'Invalid failures'],
    [{ url: 'https://api.example.com/', status: 99 }, 'Invalid status'],
    [{ url: 'https://api.example.com/', body: 'a\nb' }, 'Invalid body'],
    [{ check: 'smo`ke' }, 'Invalid check'],
    [{ soak: '5m' }, 'Nothing proves a deployment healthy'],
    [{ url: 'https://api.example.com/', onRunFailure: true }, 'it needs auto-rollback:on'],
  ])('refuses %p', (input, message) => {
    expect(() => parseVerification(undefined, input)).toThrow(ValidationError);
    expect(() => parseVerification(undefined, input)).toThrow(message);
  });

  it('reads min-soak, and never shows a query string that may carry a token', () => {
    expect(parseMinSoak('1h')).toBe(3_600_000);
    expect(parseMinSoak('none')).toBeNull();
    expect(() => parseMinSoak('10s')).toThrow('Invalid min-soak');
    expect(shownUrl('https://api.example.com/health?token=s3cret#x')).toBe(
      'https://api.example.com/health?…',
    );
  });
});
