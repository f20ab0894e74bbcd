import { scrubSecrets } from './scrub-secrets';

describe('scrubSecrets', () => {
  it('replaces every occurrence of every secret, raw or JSON-escaped', () => {
    const scrub = scrubSecrets(['tok.en+1', 'se"cret']);
    const line = JSON.stringify({ msg: 'url /x?t=tok.en+1 and tok.en+1', header: 'se"cret' });
    expect(scrub(line)).toBe('{"msg":"url /x?t=[redacted] and [redacted]","header":"[redacted]"}');
  });

  it('leaves lines alone when there is nothing to hide', () => {
    expect(scrubSecrets([])('plain line')).toBe('plain line');
  });
});
