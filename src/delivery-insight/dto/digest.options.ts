import type { GuildBasedChannel } from 'discord.js';
import { BooleanOption, ChannelOption, StringOption } from 'necord';
import { TARGET_CHANNEL_TYPES } from '../../service-registry/dto/service-settings.options';
import { ServiceNameOption } from '../../service-registry/dto/target.options';
import { WEEKDAYS } from '../../service-registry/digest-settings';

export class ServiceDigestOptions {
  @ServiceNameOption()
  name!: string;

  @ChannelOption({
    name: 'channel',
    description: 'Text channel the weekly digest goes to',
    required: false,
    channel_types: [...TARGET_CHANNEL_TYPES],
  })
  channel?: GuildBasedChannel | null;

  @StringOption({
    name: 'day',
    description: 'Day of the week (default: monday)',
    required: false,
    choices: WEEKDAYS.map((day) => ({ name: day, value: day })),
  })
  day?: string | null;

  @StringOption({
    name: 'time',
    description: 'Time of day, HH:MM on a 24-hour clock (default: 09:00)',
    required: false,
    max_length: 5,
  })
  time?: string | null;

  @StringOption({
    name: 'timezone',
    description: 'IANA time zone of day and time, like Europe/Berlin (default: UTC)',
    required: false,
    max_length: 64,
  })
  timezone?: string | null;

  @BooleanOption({ name: 'off', description: 'true: no more digests', required: false })
  off?: boolean | null;
}
