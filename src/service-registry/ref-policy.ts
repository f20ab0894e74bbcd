import picomatch from 'picomatch';
import { ValidationError } from '../../libs/errors';
import type { Service } from './service';

export type RefKind = 'branch' | 'tag';

/**
 * Which refs may be deployed to a target: `branch:<glob>` and `tag:<glob>` patterns, matched as
 * GitHub matches deployment branch policies: `*` stops at `/`, `**` does not.
 */
const PATTERN = /^(branch|tag):([A-Za-z0-9._\-/*?]{1,100})$/;
const MAX_PATTERNS = 20;
/**
 * Wildcards a pattern may hold: a glob becomes a regular expression, and many `*` in one pattern
 * let a long branch name make matching backtrack for seconds (a branch name is anyone's text).
 */
const MAX_STARS = 3;

/** "branch:main, tag:v*" → ['branch:main', 'tag:v*'], each checked; "default" → [] (the defaults). */
export function parseRefPatterns(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'default') return [];
  const patterns = [
    ...new Set(
      trimmed
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ];
  if (patterns.length === 0)
    throw new ValidationError('Invalid refs: list at least one pattern, or "default".');
  if (patterns.length > MAX_PATTERNS)
    throw new ValidationError(`Invalid refs: at most ${MAX_PATTERNS} patterns.`);
  for (const pattern of patterns) {
    if (!PATTERN.test(pattern))
      throw new ValidationError(
        `Invalid refs: "${pattern.slice(0, 40)}" is not a pattern. Write branch:<name or glob> or tag:<name or glob>, e.g. branch:main, branch:release/*, tag:v*.`,
      );
    if ((pattern.match(/\*/g) ?? []).length > MAX_STARS)
      throw new ValidationError(
        `Invalid refs: "${pattern.slice(0, 40)}" has more than ${MAX_STARS} \`*\`. Use at most ${MAX_STARS} per pattern (\`**\` counts as two), e.g. branch:release/**.`,
      );
  }
  return patterns;
}

/**
 * Without a list of its own, a protected target accepts its service's default branch and tags;
 * an unprotected one accepts any branch or tag.
 */
export function defaultRefPatterns(service: Service, environment: string): string[] {
  return service.protectedEnvironments.includes(environment)
    ? [`branch:${service.defaultRef}`, 'tag:**']
    : ['branch:**', 'tag:**'];
}

export function allowedRefPatterns(
  service: Service,
  environment: string,
): { patterns: string[]; isDefault: boolean } {
  const own = service.targets?.[environment]?.allowedRefs;
  return own?.length
    ? { patterns: own, isDefault: false }
    : { patterns: defaultRefPatterns(service, environment), isDefault: true };
}

/** The first pattern that allows the branch or tag, if any. */
export function matchingPattern(
  patterns: string[],
  kind: RefKind,
  name: string,
): string | undefined {
  return patterns.find((pattern) => {
    const [patternKind, glob] = splitPattern(pattern);
    return patternKind === kind && picomatch.isMatch(name, glob, { dot: true });
  });
}

/** Whether any pattern of that kind could allow `name` at all (checked before asking GitHub). */
export function couldMatch(patterns: string[], name: string): boolean {
  return (
    matchingPattern(patterns, 'branch', name) !== undefined ||
    matchingPattern(patterns, 'tag', name) !== undefined
  );
}

/** Branch patterns without wildcards: branches that can be checked directly. */
export function literalBranches(patterns: string[]): string[] {
  return patterns
    .map(splitPattern)
    .filter(([kind, glob]) => kind === 'branch' && !/[*?]/.test(glob))
    .map(([, glob]) => glob);
}

function splitPattern(pattern: string): [RefKind, string] {
  const colon = pattern.indexOf(':');
  return [pattern.slice(0, colon) as RefKind, pattern.slice(colon + 1)];
}
