import { BooleanOption, IntegerOption, StringOption } from 'necord';
import { ServiceNameOption } from './target.options';

export class ServiceVerifyOptions {
  @ServiceNameOption()
  name!: string;

  @StringOption({
    name: 'env',
    description: 'Environment',
    required: true,
    autocomplete: true,
    max_length: 32,
  })
  env!: string;

  @StringOption({
    name: 'url',
    description: 'http(s) address probed after the run ("none" to stop probing one)',
    required: false,
    max_length: 500,
  })
  url?: string | null;

  @IntegerOption({
    name: 'status',
    description: 'The HTTP status the address must answer (default 200)',
    required: false,
    min_value: 100,
    max_value: 599,
  })
  status?: number | null;

  @StringOption({
    name: 'body',
    description: 'Text the answer must contain (plain text; "none" for any)',
    required: false,
    max_length: 200,
  })
  body?: string | null;

  @StringOption({
    name: 'check',
    description: 'A check that must pass on the deployed commit: name or name@app-slug ("none")',
    required: false,
    max_length: 100,
  })
  check?: string | null;

  @StringOption({
    name: 'soak',
    description: 'How long it must stay healthy, e.g. 10m (default 10m)',
    required: false,
    max_length: 20,
  })
  soak?: string | null;

  @StringOption({
    name: 'interval',
    description: 'Time between probes, e.g. 30s (default 30s)',
    required: false,
    max_length: 20,
  })
  interval?: string | null;

  @IntegerOption({
    name: 'failures',
    description: 'Failed probes in a row that fail it (default 3)',
    required: false,
    min_value: 1,
    max_value: 20,
  })
  failures?: number | null;

  @StringOption({
    name: 'auto-rollback',
    description: 'Roll back to the last verified version when verification fails (default off)',
    required: false,
    choices: [
      { name: 'on', value: 'on' },
      { name: 'off', value: 'off' },
    ],
  })
  autoRollback?: string | null;

  @BooleanOption({
    name: 'on-run-failure',
    description: 'With auto-rollback: also roll back when the run itself fails',
    required: false,
  })
  onRunFailure?: boolean | null;

  @BooleanOption({
    name: 'off',
    description: 'true: stop verifying deployments to this environment',
    required: false,
  })
  off?: boolean | null;
}
