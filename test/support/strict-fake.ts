/**
 * A fake of a class that answers only what the test gave it: touching anything else fails the
 * test with the member's name, so a rule that starts making an unexpected call is caught. With
 * `calls`, every call is recorded there as `name.method`, in order.
 */
export function strictFake<T extends object>(
  name: string,
  members: { [K in keyof T]?: unknown } = {},
  calls?: string[],
): T {
  return new Proxy(members as T, {
    get(target, property, receiver) {
      if (property in target) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (!calls || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(property)}`);
          return (value as (...a: unknown[]) => unknown)(...args);
        };
      }
      // Promise resolution and Jest's printing probe these; they are not calls.
      if (property === 'then' || typeof property === 'symbol' || property === 'asymmetricMatch')
        return undefined;
      throw new Error(`Unexpected call: ${name}.${String(property)}`);
    },
  });
}
