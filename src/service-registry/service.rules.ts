import { ValidationError } from '../../libs/errors';
import { plainText } from '../../libs/text';

/** Naming rules, checked before anything is written. Messages name the field. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** GitHub user and organisation names. */
export const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** GitHub repository names. */
export const GITHUB_REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
/** A workflow file name in .github/workflows, or its numeric id. */
export const WORKFLOW = /^(?:[A-Za-z0-9._-]{1,100}\.ya?ml|\d{1,20})$/;
export const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Branch or tag names (git check-ref-format, simplified) and SHAs. */
export const GIT_REF = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|.*\.$)[A-Za-z0-9._\-/]{1,200}$/;
/** Workflow input names. */
export const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/** "staging, prod" → ['staging', 'prod'], each checked, no duplicates. */
export function parseEnvironmentList(field: string, value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0)
    throw new ValidationError(`Invalid ${field}: list at least one environment.`);
  if (names.length > 20) throw new ValidationError(`Invalid ${field}: at most 20 environments.`);
  for (const name of names) {
    if (!ENVIRONMENT_NAME.test(name)) {
      throw new ValidationError(
        `Invalid ${field}: "${plainText(name, 40)}" is not an environment name (a-z, 0-9, _ and -, up to 32 characters).`,
      );
    }
  }
  return [...new Set(names)];
}
