import { redactCredentials, scrubSecrets } from './scrub-secrets';

describe('scrubSecrets', () => {
  it('replaces every occurrence of every secret, raw or JSON-escaped', () => {
    const scrub = scrubSecrets(['tok.en+1', 'se"cret']);
    const line = JSON.stringify({ msg: 'url /x?t=tok.en+1 and tok.en+1', header: 'se"cret' });
    expect(scrub(line)).toBe('{"msg":"url /x?t=[redacted] and [redacted]","header":"[redacted]"}');
  });

  it('leaves lines alone when there is nothing to hide', () => {
    expect(scrubSecrets([])('plain line')).toBe('plain line');
  });

  it('redacts credentials by their shape, configured or not', () => {
    const scrub = scrubSecrets(['configured-secret']);
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzR9.c2lnbmF0dXJlLWJ5dGVz';
    const line = [
      'token ghs_16C7e42F292c6912E7710c838347Ae178B4a',
      'pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
      `bearer ${jwt}`,
      'uri mongodb://bot:s3cr%40t@mongo:27017/chatops',
      'srv mongodb+srv://user:pw@cluster.example/db',
      'configured-secret',
    ].join(' | ');
    expect(scrub(line)).toBe(
      [
        'token [redacted]',
        'pat [redacted]',
        'bearer [redacted]',
        'uri mongodb://[redacted]@mongo:27017/chatops',
        'srv mongodb+srv://[redacted]@cluster.example/db',
        '[redacted]',
      ].join(' | '),
    );
  });

  it('redacts a token glued to other text: an escaped newline, a URL escape, a word', () => {
    const token = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
    const line = JSON.stringify({ msg: `first\n${token} %20${token} x_${token}` });
    expect(redactCredentials(line)).toBe(
      JSON.stringify({ msg: 'first\n[redacted] %20[redacted] x_[redacted]' }),
    );
  });

  it('leaves look-alikes that are no credentials alone', () => {
    const text = 'branch ghs_fix, sha 4f2c9e1, mongodb://mongo:27017/chatops, eyJ.x.y';
    expect(redactCredentials(text)).toBe(text);
  });
});
