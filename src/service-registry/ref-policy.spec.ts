import { matchingPattern, parseRefPatterns } from './ref-policy';

describe('parseRefPatterns', () => {
  it('takes branch and tag globs with up to three wildcards', () => {
    expect(parseRefPatterns('branch:main, tag:v*, branch:release/**/*')).toEqual([
      'branch:main',
      'tag:v*',
      'branch:release/**/*',
    ]);
  });

  it('refuses a pattern built to backtrack, saying how many wildcards it may hold', () => {
    expect(() => parseRefPatterns('branch:*a*a*a*a*')).toThrow(
      'Invalid refs: "branch:*a*a*a*a*" has more than 3 `*`. Use at most 3 per pattern (`**` counts as two), e.g. branch:release/**.',
    );
    expect(() => parseRefPatterns('tag:**/**/*')).toThrow('has more than 3 `*`');
  });
});

describe('matchingPattern', () => {
  it('matches as GitHub does: * stops at a slash, ** does not', () => {
    const patterns = ['branch:release/*', 'tag:**'];
    expect(matchingPattern(patterns, 'branch', 'release/1.2')).toBe('branch:release/*');
    expect(matchingPattern(patterns, 'branch', 'release/1/hotfix')).toBeUndefined();
    expect(matchingPattern(patterns, 'tag', 'v1/rc')).toBe('tag:**');
  });
});
