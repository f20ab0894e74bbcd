import { StringOption } from 'necord';

export class DeployOptions {
  @StringOption({
    name: 'service',
    description: 'Service to deploy',
    required: true,
    autocomplete: true,
    max_length: 63,
  })
  service!: string;

  @StringOption({
    name: 'env',
    description: 'Target environment',
    required: true,
    autocomplete: true,
    max_length: 32,
  })
  env!: string;

  @StringOption({
    name: 'ref',
    description: "Branch, tag or commit SHA (default: the service's default ref)",
    required: false,
    max_length: 200,
  })
  ref?: string;
}
