import type { APIEmbed } from 'discord.js';
import { truncate } from '../../libs/text';

export { fitLines } from '../../libs/text';

/** Discord's limits on what a message may hold (https://discord.com/developers/docs/resources/message). */
export const LIMITS = {
  content: 2_000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4_096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  author: 256,
  /** Title, description, field names and values, footer and author of all embeds together. */
  embedTotal: 6_000,
  rows: 5,
  buttonsPerRow: 5,
  customId: 100,
} as const;

type EmbedLike = APIEmbed | { toJSON(): APIEmbed };
type ComponentLike = { components?: unknown[] } | { toJSON(): { components?: unknown[] } };

export interface MessagePayload {
  content?: string;
  embeds?: EmbedLike[];
  components?: ComponentLike[];
}

const json = <T>(value: T | { toJSON(): T }): T =>
  typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON(): T }).toJSON()
    : (value as T);

function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/** Everything in `payload` that Discord would refuse, in words; empty when it fits. */
export function limitProblems(payload: MessagePayload): string[] {
  const problems: string[] = [];
  const over = (what: string, length: number, limit: number) => {
    if (length > limit) problems.push(`${what}: ${length} > ${limit}`);
  };
  over('content', payload.content?.length ?? 0, LIMITS.content);
  const embeds = (payload.embeds ?? []).map(json);
  over('embeds', embeds.length, LIMITS.embeds);
  embeds.forEach((embed, i) => {
    over(`embed ${i} title`, embed.title?.length ?? 0, LIMITS.embedTitle);
    over(`embed ${i} description`, embed.description?.length ?? 0, LIMITS.embedDescription);
    over(`embed ${i} footer`, embed.footer?.text.length ?? 0, LIMITS.footer);
    over(`embed ${i} fields`, embed.fields?.length ?? 0, LIMITS.embedFields);
    (embed.fields ?? []).forEach((field, j) => {
      over(`embed ${i} field ${j} name`, field.name.length, LIMITS.fieldName);
      over(`embed ${i} field ${j} value`, field.value.length, LIMITS.fieldValue);
      if (!field.value.length) problems.push(`embed ${i} field ${j} value is empty`);
    });
  });
  over(
    'embeds in total',
    embeds.reduce((sum, e) => sum + embedLength(e), 0),
    LIMITS.embedTotal,
  );
  const rows = (payload.components ?? []).map(json) as Array<{ components?: unknown[] }>;
  over('rows', rows.length, LIMITS.rows);
  rows.forEach((row, i) => {
    over(`row ${i} components`, row.components?.length ?? 0, LIMITS.buttonsPerRow);
    for (const component of (row.components ?? []) as Array<{ custom_id?: string }>)
      over(`row ${i} custom id`, component.custom_id?.length ?? 0, LIMITS.customId);
  });
  return problems;
}

/**
 * The last line of defence: whatever a view produced, each part is cut to Discord's limits, so
 * Discord never answers 400 and the person always sees something. Views fit by construction;
 * their unit tests feed them their largest inputs.
 */
export function withinLimits<const T extends MessagePayload>(payload: T): T {
  if (limitProblems(payload).length === 0) return payload;
  const embeds = payload.embeds?.slice(0, LIMITS.embeds).map((raw) => {
    const embed = { ...json(raw) };
    if (embed.title) embed.title = truncate(embed.title, LIMITS.embedTitle);
    if (embed.description) embed.description = truncate(embed.description, LIMITS.embedDescription);
    embed.fields = embed.fields?.slice(0, LIMITS.embedFields).map((field) => ({
      ...field,
      name: truncate(field.name, LIMITS.fieldName),
      value: truncate(field.value, LIMITS.fieldValue) || '–',
    }));
    return embed;
  });
  // Within the 6,000 characters of all embeds together: fields go first, then description;
  // embeds with no room left are dropped.
  let room: number = LIMITS.embedTotal;
  const kept: APIEmbed[] = [];
  for (const embed of embeds ?? []) {
    if (embedLength(embed) > room) {
      embed.fields = [];
      const titleLength = embed.title?.length ?? 0;
      if (room - titleLength < 1) break;
      embed.description = truncate(embed.description ?? '', room - titleLength);
    }
    room -= embedLength(embed);
    kept.push(embed);
  }
  return {
    ...payload,
    ...(payload.content !== undefined
      ? { content: truncate(payload.content, LIMITS.content) }
      : {}),
    ...(embeds ? { embeds: kept } : {}),
  };
}
