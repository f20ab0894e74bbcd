import { IntegerOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class HistoryOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption('Only this environment', false)
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
  @ServiceOption()
  service!: string;
}
