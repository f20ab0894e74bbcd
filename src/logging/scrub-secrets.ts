/** Replaces every occurrence of each secret in a log line with a marker. */
export function scrubSecrets(secrets: string[]): (line: string) => string {
  // The JSON-escaped form too: that is how a secret with quotes or backslashes appears in a line.
  const forms = secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
  const present = [...new Set(forms.filter((form) => form.length > 0))];
  if (present.length === 0) return (line) => line;
  const escaped = present.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(escaped.join('|'), 'g');
  return (line) => line.replace(pattern, '[redacted]');
}
