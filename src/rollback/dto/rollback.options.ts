import { StringOption } from 'necord';

export class RollbackOptions {
  @StringOption({
    name: 'service',
    description: 'Service to roll back',
    required: true,
    autocomplete: true,
    max_length: 63,
  })
  service!: string;

  @StringOption({
    name: 'env',
    description: 'Environment (default: where it last deployed successfully)',
    required: false,
    autocomplete: true,
    max_length: 32,
  })
  env?: string;

  @StringOption({
    name: 'to',
    description: 'SHA or deployment id to go back to (default: the previous good one)',
    required: false,
    max_length: 40,
  })
  to?: string;
}
