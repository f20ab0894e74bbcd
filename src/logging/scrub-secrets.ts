/**
 * Credentials recognisable by their shape, whoever's they are: GitHub tokens (`ghp_`, `gho_`,
 * `ghu_`, `ghs_`, `ghr_`, `github_pat_`), JSON Web Tokens (a GitHub App's, say), and the
 * user:password part of a MongoDB connection string.
 */
const CREDENTIAL_SHAPES: Array<[RegExp, string]> = [
  // No word boundary before them: a token glued to other text (`\nghp_…` in an escaped line,
  // `%20ghp_…`, `x_ghp_…`) is still a token.
  [/gh[pousr]_[A-Za-z0-9]{20,}/g, '[redacted]'],
  [/github_pat_[A-Za-z0-9_]{20,}/g, '[redacted]'],
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, '[redacted]'],
  [/(mongodb(?:\+srv)?:\/\/)[^@\s/"']+@/gi, '$1[redacted]@'],
];

/** Replaces every credential recognisable by its shape (see CREDENTIAL_SHAPES) in `text`. */
export function redactCredentials(text: string): string {
  let redacted = text;
  for (const [shape, replacement] of CREDENTIAL_SHAPES)
    redacted = redacted.replace(shape, replacement);
  return redacted;
}

/**
 * Replaces every occurrence of each configured secret in a log line with a marker, and every
 * credential recognisable by its shape (redactCredentials).
 */
export function scrubSecrets(secrets: string[]): (line: string) => string {
  // The JSON-escaped form too: that is how a secret with quotes or backslashes appears in a line.
  const forms = secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
  const present = [...new Set(forms.filter((form) => form.length > 0))];
  if (present.length === 0) return redactCredentials;
  const escaped = present.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(escaped.join('|'), 'g');
  return (line) => redactCredentials(line.replace(pattern, '[redacted]'));
}
