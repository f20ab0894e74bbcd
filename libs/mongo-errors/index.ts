/** MongoDB's duplicate-key error (code 11000), whichever driver layer raised it. */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

/** The first field of the unique index a duplicate-key error names, if any. */
export function duplicateKeyField(error: unknown): string | undefined {
  if (!isDuplicateKey(error)) return undefined;
  const pattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  return pattern ? Object.keys(pattern)[0] : /index: (\w+?)_1/.exec((error as Error).message)?.[1];
}
