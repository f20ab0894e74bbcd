import { DiscordAPIError, HTTPError, RESTJSONErrorCodes } from 'discord.js';
import { isDatabaseDown } from '../../libs/errors';

/**
 * What a failure to talk to Discord means for a message the bot keeps up to date:
 * - `gone`: the message, its channel or the bot's access to it is gone; it will not come back
 *   by trying again (Unknown Message/Channel, Missing Access/Permissions);
 * - `transient`: Discord (5xx, rate limit), the network or the database failed for now;
 * - `rejected`: Discord refused what was sent (400): the same payload will be refused again.
 */
export type DiscordFailure =
  | { kind: 'gone'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'rejected'; reason: string };

const GONE: Partial<Record<number, string>> = {
  [RESTJSONErrorCodes.UnknownMessage]: 'the message was deleted',
  [RESTJSONErrorCodes.UnknownChannel]: 'the channel no longer exists',
  [RESTJSONErrorCodes.UnknownGuild]: 'the bot is no longer in the server',
  [RESTJSONErrorCodes.MissingAccess]: 'the bot lost access to the channel',
  [RESTJSONErrorCodes.MissingPermissions]: 'the bot may no longer post in the channel',
};

/** A channel that exists but is no place for the bot's messages (not text, or not sendable). */
export class UnusableChannelError extends Error {}

export function classifyDiscordFailure(error: unknown): DiscordFailure {
  if (error instanceof UnusableChannelError) return { kind: 'gone', reason: error.message };
  if (error instanceof DiscordAPIError) {
    const gone = GONE[Number(error.code)];
    if (gone) return { kind: 'gone', reason: gone };
    if (error.status === 429 || error.status >= 500)
      return { kind: 'transient', reason: `Discord answered ${error.status}` };
    if (error.status === 400)
      return { kind: 'rejected', reason: `Discord refused the message: ${error.message}` };
    return { kind: 'gone', reason: `Discord answered ${error.status} (${error.message})` };
  }
  if (error instanceof HTTPError)
    return { kind: 'transient', reason: `Discord answered ${error.status}` };
  if (isDatabaseDown(error)) return { kind: 'transient', reason: 'the database is unavailable' };
  return { kind: 'transient', reason: (error as Error)?.message ?? String(error) };
}
