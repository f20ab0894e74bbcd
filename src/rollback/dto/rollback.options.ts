import { StringOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class RollbackOptions {
  @ServiceOption('Service to roll back')
  service!: string;

  @EnvironmentOption('Environment (default: where it last deployed successfully)', false)
  env?: string;

  @StringOption({
    name: 'to',
    description: 'SHA or deployment id to go back to (default: the previous good one)',
    required: false,
    max_length: 40,
  })
  to?: string;
}
