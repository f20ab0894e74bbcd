/**
 * Text written by someone else (commit subjects, author and branch names, lock reasons, role and
 * user names, names typed into a command) shown as plain text in a markdown message: every
 * character that means something to Discord's markdown or mention syntax is backslash-escaped,
 * so `**x**`, `[x](url)`, `<@id>` and `@everyone` show as written. One line, at most `max`
 * characters.
 */
export function plainText(text: string | undefined | null, max = 200): string {
  const line = truncate(
    withoutFormatCharacters(String(text ?? ''))
      .replace(/\s+/g, ' ')
      .trim(),
    max,
  );
  const escaped = line.replace(/[\\*_~`|[\]<>@]/g, '\\$&');
  // Headings, quotes and list markers count only at the start of a line; a backslash before a
  // digit would show, so a numbered item has its dot escaped instead.
  if (/^\d+\./.test(escaped)) return escaped.replace('.', '\\.');
  return /^[#\-+]/.test(escaped) ? `\\${escaped}` : escaped;
}

/**
 * A value shown as inline code (a ref, a SHA). A code span is never parsed as markdown or
 * mentions; a backtick would end it, so it is replaced by a look-alike.
 */
export function codeSpan(text: string | undefined | null, max = 100): string {
  const value = truncate(
    withoutFormatCharacters(String(text ?? '')).replace(/\s+/g, ' '),
    max,
  ).replace(/`/g, 'ˋ');
  return `\`${value || ' '}\``;
}

/**
 * Invisible formatting characters (Unicode category Cf: bidirectional overrides, zero-width
 * joiners and spaces, …) removed: untrusted text cannot reorder or hide what a message shows
 * (`deploy‮lanif` reading as "deploy final") or make two names look alike.
 */
export function withoutFormatCharacters(text: string): string {
  return text.replace(/\p{Cf}/gu, '');
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/**
 * As many `lines` as fit in `max` characters (joined by newlines), then a last line saying how
 * many were left out (`more(n)`: "… and 12 more, see /history"). Every list that can grow is
 * shown through this.
 */
export function fitLines(lines: string[], max: number, more: (hidden: number) => string): string {
  const all = lines.join('\n');
  if (all.length <= max) return all;
  // Length of the first k lines joined: starts[k] (with the newline before the note).
  const starts = [0];
  for (const line of lines) starts.push(starts[starts.length - 1] + line.length + 1);
  for (let shown = lines.length - 1; shown > 0; shown--) {
    const note = more(lines.length - shown);
    if (starts[shown] + note.length <= max) return [...lines.slice(0, shown), note].join('\n');
  }
  return truncate(more(lines.length), max);
}

/** A moment as text anyone can read without Discord's markup: `2026-11-24 09:30 UTC`. */
export function utcTime(date: Date | string): string {
  return `${new Date(date).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A span of time as people read it: `1d 2h`, `1h 30m`, `45s`, `0s`. */
export function spanText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1_000));
  const parts = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3_600), 'h'],
    [Math.floor((seconds % 3_600) / 60), 'm'],
    [seconds % 60, 's'],
  ] as const;
  return (
    parts
      .filter(([value]) => value > 0)
      .map(([value, unit]) => `${value}${unit}`)
      .join(' ') || '0s'
  );
}
