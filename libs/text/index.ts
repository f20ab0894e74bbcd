/**
 * Text written by someone else (commit subjects, author and branch names, lock reasons, role and
 * user names, names typed into a command) shown as plain text in a markdown message: every
 * character that means something to Discord's markdown or mention syntax is backslash-escaped,
 * so `**x**`, `[x](url)`, `<@id>` and `@everyone` show as written. One line, at most `max`
 * characters.
 */
export function plainText(text: string | undefined | null, max = 200): string {
  const line = truncate(
    String(text ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
    max,
  );
  const escaped = line.replace(/[\\*_~`|[\]<>@]/g, '\\$&');
  // Headings, quotes and list markers count only at the start of a line.
  return /^(?:[#\-+]|\d+\.)/.test(escaped) ? `\\${escaped}` : escaped;
}

/**
 * A value shown as inline code (a ref, a SHA). A code span is never parsed as markdown or
 * mentions; a backtick would end it, so it is replaced by a look-alike.
 */
export function codeSpan(text: string | undefined | null, max = 100): string {
  const value = truncate(String(text ?? '').replace(/\s+/g, ' '), max).replace(/`/g, 'ˋ');
  return `\`${value || ' '}\``;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}
