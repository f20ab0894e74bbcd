import { codeSpan, fitLines, plainText } from '.';

describe('plainText', () => {
  it('escapes markdown and mention syntax, and keeps ordinary text as it is', () => {
    expect(plainText('dana-deployer: v3 broken')).toBe('dana-deployer: v3 broken');
    expect(plainText('**b** _i_ ~~s~~ `c` ||x|| [l](u) <@1> @everyone \\')).toBe(
      '\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~ \\`c\\` \\|\\|x\\|\\| \\[l\\](u) \\<\\@1\\> \\@everyone \\\\',
    );
    expect(plainText('# heading')).toBe('\\# heading');
    expect(plainText('- item')).toBe('\\- item');
    expect(plainText('1. item')).toBe('1\\. item');
  });

  it('keeps to one line and a length', () => {
    expect(plainText('a\n\n> b', 50)).toBe('a \\> b');
    expect(plainText('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('drops invisible formatting characters: nothing reorders or hides what is shown', () => {
    // A right-to-left override, a zero-width space and joiner, a byte order mark.
    expect(plainText('deploy\u202Elanif\u200B\u200D\uFEFF')).toBe('deploylanif');
    expect(codeSpan('ma\u2066in')).toBe('`main`');
  });
});

describe('codeSpan', () => {
  it('cannot be closed early by a backtick', () => {
    expect(codeSpan('a`b')).toBe('`aˋb`');
    expect(codeSpan('')).toBe('` `');
  });
});

describe('fitLines', () => {
  const more = (n: number) => `… and ${n} more`;

  it('keeps everything that fits', () => {
    expect(fitLines(['a', 'b'], 3, more)).toBe('a\nb');
  });

  it('shows what fits and says how many were left out', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const text = fitLines(lines, 100, more);
    expect(text.length).toBeLessThanOrEqual(100);
    const shown = text.split('\n').length - 1;
    expect(text.endsWith(`… and ${100 - shown} more`)).toBe(true);
    expect(text.startsWith('line 0\nline 1')).toBe(true);
  });

  it('says only how many there are when not even one fits', () => {
    expect(fitLines(['x'.repeat(500)], 20, more)).toBe('… and 1 more');
  });
});
