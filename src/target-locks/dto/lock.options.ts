import { StringOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class LockOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
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
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
  env!: string;
}
