import { plainText } from '../text';
import { ValidationError } from '../errors';

export const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

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
