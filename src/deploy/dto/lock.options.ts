import { StringOption } from 'necord';

export class LockOptions {
  @StringOption({
    name: 'service',
    description: 'Service',
    required: true,
    autocomplete: true,
    max_length: 63,
  })
  service!: string;

  @StringOption({
    name: 'env',
    description: 'Environment',
    required: true,
    autocomplete: true,
    max_length: 32,
  })
  env!: string;

  @StringOption({
    name: 'reason',
    description: 'Why deploys are stopped (shown to anyone refused)',
    required: true,
    max_length: 300,
  })
  reason!: string;
}

export class UnlockOptions {
  @StringOption({
    name: 'service',
    description: 'Service',
    required: true,
    autocomplete: true,
    max_length: 63,
  })
  service!: string;

  @StringOption({
    name: 'env',
    description: 'Environment',
    required: true,
    autocomplete: true,
    max_length: 32,
  })
  env!: string;
}
