import { BooleanOption, StringOption } from 'necord';
import { EnvironmentOption, ServiceOption } from '../../service-registry/dto/target.options';

export class DeployOptions {
  @ServiceOption('Service to deploy')
  service!: string;

  @EnvironmentOption('Target environment')
  env!: string;

  @StringOption({
    name: 'ref',
    description: "Branch, tag or commit SHA (default: the service's default ref)",
    required: false,
    max_length: 200,
  })
  ref?: string;

  @BooleanOption({
    name: 'queue',
    description: "true: wait in the target's queue and go as soon as it is allowed",
    required: false,
  })
  queue?: boolean | null;

  @BooleanOption({
    name: 'hotfix',
    description: 'true: a fix for something broken (counted as rework in /stats)',
    required: false,
  })
  hotfix?: boolean | null;
}
