import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class QueueOptions {
  @ServiceOption()
  service!: string;

  @EnvironmentOption()
  env!: string;
}
