import { codeSpan, plainText } from '../../libs/text';

/** Untrusted text as plain text: markdown and mentions escaped, one line (see libs/text). */
export const plain = plainText;
/** A ref or SHA as inline code. */
export const code = codeSpan;

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** A Discord timestamp, shown in each reader's own time zone (`f`: date and time, `R`: relative). */
export function discordTime(date: Date | string | undefined, style: 'f' | 'R' = 'f'): string {
  return date ? `<t:${Math.floor(new Date(date).getTime() / 1000)}:${style}>` : 'unknown';
}
