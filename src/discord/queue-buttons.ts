import {
  ActionRowBuilder,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  ButtonBuilder,
  ButtonStyle,
} from 'discord.js';

/**
 * The controls offered on a refusal a queue could wait out: "Queue it", and for a freeze or a
 * closed window an admin's "Deploy anyway" (which opens the reason form). Ids carry only the
 * opaque offer id, path-shaped: `queue/q-1a2b3c/queue`; built and parsed here.
 */
export type QueueAction = 'queue' | 'override' | 'reason';

export const QUEUE_BUTTON_ROUTE = 'queue/:id/:action';
export const QUEUE_REASON_INPUT = 'reason';
const ACTIONS: readonly QueueAction[] = ['queue', 'override', 'reason'];
const ENTRY_ID = /^q-[0-9a-f]{6}$/;

export function queueControlId(entryId: string, action: QueueAction): string {
  return `queue/${entryId}/${action}`;
}

/** The id and action of a well-formed queue control id; undefined for anything else. */
export function parseQueueControlId(
  customId: string,
): { id: string; action: QueueAction } | undefined {
  const [prefix, id, action, ...rest] = customId.split('/');
  if (prefix !== 'queue' || rest.length > 0 || !ENTRY_ID.test(id ?? '')) return undefined;
  return (ACTIONS as readonly string[]).includes(action)
    ? { id, action: action as QueueAction }
    : undefined;
}

/**
 * The buttons offered under a refusal: "Queue it", and "Deploy anyway (admin)" where an admin may
 * push one deployment through (a freeze, a closed window).
 */
export function queueOfferControls(
  offerId: string,
  overridable: boolean,
): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const buttons = [
    new ButtonBuilder()
      .setCustomId(queueControlId(offerId, 'queue'))
      .setLabel('Queue it')
      .setStyle(ButtonStyle.Primary),
  ];
  if (overridable)
    buttons.push(
      new ButtonBuilder()
        .setCustomId(queueControlId(offerId, 'override'))
        .setLabel('Deploy anyway (admin)')
        .setStyle(ButtonStyle.Danger),
    );
  return [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON()];
}
