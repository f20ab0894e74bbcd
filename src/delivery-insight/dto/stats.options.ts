import { StringOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class StatsOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption('One environment (default: the production ones)', false)
  env?: string;

  @StringOption({
    name: 'period',
    description: 'How far back: 7d, 4w, 90d (1d-365d, default 30d)',
    required: false,
    max_length: 8,
  })
  period?: string;

  @StringOption({
    name: 'format',
    description: 'csv: attach the deployments behind the figures',
    required: false,
    choices: [
      { name: 'chart', value: 'chart' },
      { name: 'csv', value: 'csv' },
    ],
  })
  format?: string;
}
