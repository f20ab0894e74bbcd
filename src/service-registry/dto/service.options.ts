import { BooleanOption, StringOption } from 'necord';
import { ServiceNameOption } from './target.options';

export class ServiceAddOptions {
  @StringOption({
    name: 'name',
    description: 'Service name (lowercase, e.g. api)',
    required: true,
    max_length: 63,
  })
  name!: string;

  @StringOption({
    name: 'owner',
    description: 'GitHub owner (user or organisation)',
    required: true,
    max_length: 39,
  })
  owner!: string;

  @StringOption({ name: 'repo', description: 'GitHub repository', required: true, max_length: 100 })
  repo!: string;

  @StringOption({
    name: 'workflow',
    description: 'Workflow file or id (default deploy.yml)',
    required: false,
    max_length: 100,
  })
  workflow?: string;

  @StringOption({
    name: 'envs',
    description: 'Allowed environments, comma-separated (default staging, prod)',
    required: false,
    max_length: 300,
  })
  envs?: string;

  @StringOption({
    name: 'protected',
    description: 'Environments that need approval (default prod/production; "none")',
    required: false,
    max_length: 300,
  })
  protected?: string;

  @StringOption({
    name: 'ref',
    description: "Default branch or tag (default: the repository's default branch)",
    required: false,
    max_length: 200,
  })
  ref?: string;

  @StringOption({
    name: 'env-input',
    description: 'Workflow input that receives the environment (default environment)',
    required: false,
    max_length: 100,
  })
  envInput?: string;

  @StringOption({
    name: 'sha-input',
    description: 'Workflow input that receives the commit SHA (default sha)',
    required: false,
    max_length: 100,
  })
  shaInput?: string;

  @StringOption({
    name: 'id-input',
    description: 'Workflow input that receives the deployment id, shown in the run name (optional)',
    required: false,
    max_length: 100,
  })
  idInput?: string;
}

export class ServiceRefsOptions {
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
    name: 'allow',
    description: 'Allowed refs, e.g. "branch:main, branch:release/*, tag:v*", or "default"',
    required: true,
    max_length: 1000,
  })
  allow!: string;
}

export class ServiceNameOptions {
  @ServiceNameOption()
  name!: string;
}

export class ServiceGateOptions {
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
    name: 'mode',
    description: 'Which checks must pass before a deploy',
    required: true,
    choices: [
      { name: 'all: every check on the commit', value: 'all' },
      { name: 'required: only the named checks', value: 'required' },
      { name: 'off: no CI gate', value: 'off' },
      { name: 'default: all when protected, else off', value: 'default' },
    ],
  })
  mode!: string;

  @StringOption({
    name: 'checks',
    description: 'With required: check names, comma-separated (e.g. "build, test")',
    required: false,
    max_length: 1000,
  })
  checks?: string;
}

export class ServiceGithubDeploymentsOptions {
  @ServiceNameOption()
  name!: string;

  @StringOption({
    name: 'mode',
    description: "Record this service's deployments on GitHub's Deployments page",
    required: true,
    choices: [
      { name: 'bot: the bot creates them and posts their statuses', value: 'bot' },
      {
        name: 'off: not recorded by the bot (e.g. the workflow declares environment:)',
        value: 'off',
      },
    ],
  })
  mode!: string;
}

export class ServiceTargetOptions {
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
    description: 'Where the environment is reached (https://…), shown on GitHub; "none" clears',
    required: false,
    max_length: 500,
  })
  url?: string;

  @StringOption({
    name: 'promote-from',
    description: 'Environment a commit must have succeeded on first; "none" clears',
    required: false,
    max_length: 32,
  })
  promoteFrom?: string;

  @StringOption({
    name: 'min-soak',
    description: 'How long the commit must have run there first, e.g. 1h; "none" clears',
    required: false,
    max_length: 20,
  })
  minSoak?: string;

  @BooleanOption({
    name: 'production',
    description: 'Count it as production in /stats (default: whether it is protected)',
    required: false,
  })
  production?: boolean;
}
