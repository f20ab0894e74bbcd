import {
  type ApplicationCommandOptionAllowedChannelType,
  ChannelType,
  type ChatInputCommandInteraction,
  DiscordAPIError,
  type GuildBasedChannel,
} from 'discord.js';
import { BooleanOption, ChannelOption, StringOption } from 'necord';
import type { ChannelChoice } from '../service-settings.service';
import { ServiceNameOption } from './target.options';

/** The channels a target's deployment requests and messages may go to. */
export const TARGET_CHANNEL_TYPES: readonly ApplicationCommandOptionAllowedChannelType[] = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
];

export class ServiceChannelOptions {
  @ServiceNameOption()
  name!: string;

  @StringOption({
    name: 'env',
    description: 'Environment',
    required: true,
    autocomplete: true,
    max_length: 32,
  })
  env!: string;

  @ChannelOption({
    name: 'channel',
    description: "Text channel for the target's deployment requests and messages",
    required: false,
    channel_types: [...TARGET_CHANNEL_TYPES],
  })
  channel?: GuildBasedChannel | null;

  @BooleanOption({
    name: 'clear',
    description: 'true: back to the deploy channel (DEPLOY_CHANNEL_ID)',
    required: false,
  })
  clear?: boolean | null;
}

export class ServiceOutsideRunsOptions {
  @ServiceNameOption()
  name!: string;

  @StringOption({
    name: 'unknown-environments',
    description: 'GitHub asks about an environment the service does not list',
    required: true,
    choices: [
      { name: 'reject: GitHub is told it is not registered in the bot', value: 'reject' },
      { name: 'ignore: no answer (the job waits for a GitHub admin)', value: 'ignore' },
    ],
  })
  unknownEnvironments!: string;

  @StringOption({
    name: 'environment-from',
    description: 'Where a run started outside Discord deploys (left out: as it is)',
    required: false,
    choices: [
      { name: 'deployments: the environment its jobs reference (default)', value: 'deployments' },
      { name: 'fixed: always the environment given', value: 'fixed' },
    ],
  })
  environmentFrom?: string | null;

  @StringOption({
    name: 'environment',
    description: 'With environment-from:fixed: the environment every such run deploys to',
    required: false,
    autocomplete: true,
    max_length: 32,
  })
  environment?: string | null;
}

/**
 * The `channel` option as the home server knows it. Read by id and looked up here: Discord's
 * picker offers text channels only, but the id it sends is checked all the same.
 */
export async function channelChoice(
  interaction: Pick<ChatInputCommandInteraction, 'options' | 'guild'>,
): Promise<ChannelChoice | undefined> {
  const id = interaction.options.get('channel')?.value;
  if (typeof id !== 'string') return undefined;
  const channel = await interaction.guild?.channels.fetch(id).catch((error: unknown) => {
    // Unknown, out of the bot's sight, or another server's: not a channel it may use.
    const status = error instanceof DiscordAPIError ? error.status : undefined;
    if (status === 403 || status === 404) return null;
    if ((error as { code?: unknown }).code === 'GuildChannelUnowned') return null;
    throw error;
  });
  return { id, usable: Boolean(channel && TARGET_CHANNEL_TYPES.includes(channel.type)) };
}
