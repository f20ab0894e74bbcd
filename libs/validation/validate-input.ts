import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ValidationError } from '../errors';

/**
 * Checks `input` against the class-validator rules of `type`; the first problem becomes a
 * user-safe "Invalid <field>: <rule>." error. Returns a typed instance.
 */
export async function validateInput<T extends object>(
  type: new () => T,
  input: object,
  /** How the user knows a field, when that differs from the property (`envInput` → `env-input`). */
  labels: Record<string, string> = {},
): Promise<T> {
  const instance = plainToInstance(type, input);
  const [first] = await validate(instance, { forbidUnknownValues: false, stopAtFirstError: true });
  if (first) {
    const rule = Object.values(first.constraints ?? {})[0] ?? 'not valid';
    throw new ValidationError(`Invalid ${labels[first.property] ?? first.property}: ${rule}.`);
  }
  return instance;
}
