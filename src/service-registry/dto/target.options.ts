import { StringOption } from 'necord';

/** The option naming a service; ServiceAutocomplete completes it by this name. */
export const ServiceOption = (description = 'Service') =>
  StringOption({
    name: 'service',
    description,
    required: true,
    autocomplete: true,
    max_length: 63,
  });

/** The `name` option of `/service` subcommands: a service, completed by ServiceAutocomplete. */
export const ServiceNameOption = () =>
  StringOption({
    name: 'name',
    description: 'Service name',
    required: true,
    autocomplete: true,
    max_length: 63,
  });

/** The option naming one of the chosen service's environments; completed the same way. */
export const EnvironmentOption = (description = 'Environment', required = true) =>
  StringOption({ name: 'env', description, required, autocomplete: true, max_length: 32 });
