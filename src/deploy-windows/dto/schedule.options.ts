import { StringOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class FreezeOptions {
  @StringOption({
    name: 'env',
    description: 'Environment to freeze, or `all`',
    required: true,
    max_length: 32,
  })
  env!: string;

  @StringOption({
    name: 'reason',
    description: 'Why deploys stop (shown to anyone refused)',
    required: true,
    max_length: 300,
  })
  reason!: string;

  @StringOption({
    name: 'service',
    description: 'Only this service (default: every service)',
    required: false,
    autocomplete: true,
    max_length: 63,
  })
  service?: string | null;

  @StringOption({
    name: 'until',
    description: 'Lifts itself then: a duration (2h, 3d) or a time (2026-12-24 18:00 UTC)',
    required: false,
    max_length: 40,
  })
  until?: string | null;
}

export class UnfreezeOptions {
  @StringOption({
    name: 'env',
    description: 'Environment frozen, or `all`',
    required: true,
    max_length: 32,
  })
  env!: string;

  @StringOption({
    name: 'service',
    description: 'The service the freeze names (default: the freeze of every service)',
    required: false,
    autocomplete: true,
    max_length: 63,
  })
  service?: string | null;
}

export class WindowAddOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
  env!: string;

  @StringOption({
    name: 'kind',
    description: 'deny: no deploys inside it; allow: deploys only inside an allow window',
    required: true,
    choices: [
      { name: 'deny', value: 'deny' },
      { name: 'allow', value: 'allow' },
    ],
  })
  kind!: 'deny' | 'allow';

  @StringOption({
    name: 'cron',
    description: 'When it starts: five cron fields, such as `0 16 * * 5` (Fridays 16:00)',
    required: true,
    max_length: 100,
  })
  cron!: string;

  @StringOption({
    name: 'duration',
    description: 'How long it lasts from each start, such as 64h or 1d12h',
    required: true,
    max_length: 20,
  })
  duration!: string;

  @StringOption({
    name: 'timezone',
    description: 'IANA time zone of the cron expression, such as Europe/Berlin or UTC',
    required: true,
    max_length: 64,
  })
  timezone!: string;
}

export class WindowRemoveOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
  env!: string;

  @StringOption({
    name: 'id',
    description: 'The window (w-…), as /service window list shows it',
    required: true,
    max_length: 20,
  })
  id!: string;
}

export class WindowListOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
  env!: string;
}
