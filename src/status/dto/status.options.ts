import { IntegerOption, StringOption } from 'necord';

export class HistoryOptions {
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
    description: 'Only this environment',
    required: false,
    autocomplete: true,
    max_length: 32,
  })
  env?: string;

  @IntegerOption({
    name: 'limit',
    description: 'How many (1-25, default 10)',
    required: false,
    min_value: 1,
    max_value: 25,
  })
  limit?: number;
}

export class StatusOptions {
  @StringOption({
    name: 'service',
    description: 'Service',
    required: true,
    autocomplete: true,
    max_length: 63,
  })
  service!: string;
}
