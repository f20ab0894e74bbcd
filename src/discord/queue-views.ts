import { discordTime } from './format';
import { plainText, codeSpan } from '../../libs/text';

/** What a member is told when their request joins a target's queue. */
export function queuedText(
  entry: {
    id: string;
    service: string;
    environment: string;
    ref?: string;
    shaAtQueue?: string;
    expiresAt: Date;
  },
  position: number,
): string {
  const what = `${entry.ref ? codeSpan(entry.ref, 100) : 'the default ref'}${entry.shaAtQueue ? ` (now ${codeSpan(entry.shaAtQueue.slice(0, 7))})` : ''}`;
  const place = position === 1 ? 'next in line' : `number ${position} in line`;
  return (
    `Queued as ${entry.id}: ${what} to ${plainText(entry.service, 63)} → ${plainText(entry.environment, 32)}, ${place}. ` +
    `It goes as soon as the target allows it (its ref is resolved then, and every rule of /deploy is checked again); ` +
    `you are mentioned when it does. It expires ${discordTime(entry.expiresAt, 'R')} if it has not gone by then. ` +
    `/queue shows the line; /cancel ${entry.id} takes it out.`
  );
}
