import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { AutocompleteInteraction } from 'discord.js';
import { NecordExecutionContext } from 'necord';
import { from, Observable } from 'rxjs';
import { ServiceRegistryService } from './service-registry.service';

const SERVICE_OPTIONS = ['service', 'name'];
const ENVIRONMENT_OPTIONS = ['env', 'environment'];

/**
 * Autocomplete for every command that takes a service or an environment: service names as
 * typed, and the environments of the service already chosen.
 */
@Injectable()
export class ServiceAutocomplete implements NestInterceptor {
  private readonly logger = new Logger('Autocomplete');

  constructor(private readonly registry: ServiceRegistryService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const [interaction] = NecordExecutionContext.create(context).getContext<'interactionCreate'>();
    if (!interaction.isAutocomplete()) return next.handle();
    return from(this.respond(interaction));
  }

  private async respond(interaction: AutocompleteInteraction): Promise<void> {
    const focused = interaction.options.getFocused(true);
    const typed = String(focused.value).trim().toLowerCase();
    let names: string[] = [];
    try {
      if (SERVICE_OPTIONS.includes(focused.name)) {
        names = await this.registry.namesStartingWith(typed);
      } else if (ENVIRONMENT_OPTIONS.includes(focused.name)) {
        const serviceName = SERVICE_OPTIONS.map((option) =>
          interaction.options.getString(option),
        ).find(Boolean);
        const service = serviceName ? await this.registry.get(serviceName).catch(() => null) : null;
        names = (service?.environments ?? []).filter((env) => env.startsWith(typed));
      }
    } catch (error) {
      this.logger.warn(`Autocomplete failed: ${(error as Error).message}`);
    }
    await interaction.respond(names.slice(0, 25).map((name) => ({ name, value: name })));
  }
}
