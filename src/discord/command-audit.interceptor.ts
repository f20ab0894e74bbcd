import {
  CallHandler,
  ExecutionContext,
  Injectable,
  Logger,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApplicationCommandOptionType,
  BaseInteraction,
  CommandInteractionOption,
} from 'discord.js';
import { NecordExecutionContext } from 'necord';
import { finalize, Observable, tap } from 'rxjs';
import { errorRef } from '../../libs/errors';
import { toAppError } from '../../libs/errors';
import { AuditEntry, AuditOutcome } from '../audit/audit-entry';
import { AuditRepository } from '../audit/audit.repository';
import { AppMetrics } from '../metrics/app-metrics';
import { actorFrom } from './actor';
import { InteractionsInFlight } from './interactions-in-flight';

type OptionValue = string | number | boolean;

function flattenOptions(options: readonly CommandInteractionOption[]): Record<string, OptionValue> {
  const flat: Record<string, OptionValue> = {};
  for (const option of options) {
    if (
      option.type === ApplicationCommandOptionType.Subcommand ||
      option.type === ApplicationCommandOptionType.SubcommandGroup
    ) {
      Object.assign(flat, flattenOptions(option.options ?? []));
    } else if (option.value !== undefined) {
      flat[option.name] =
        typeof option.value === 'string' ? withoutUrlSecrets(option.value) : option.value;
    }
  }
  return flat;
}

/**
 * An address typed into an option (a verification or environment URL) is kept without its query
 * and fragment, which may carry a token: the audit log keeps entries for a year.
 */
function withoutUrlSecrets(value: string): string {
  if (!/^https?:\/\//i.test(value.trim())) return value;
  try {
    const url = new URL(value.trim());
    return `${url.origin}${url.pathname}${url.search || url.hash ? '?…' : ''}`;
  } catch {
    return value;
  }
}

/** `approval/d-7f3a2c/approve` → `approval/approve`: the route without the deployment's id. */
function routeName(customId: string): string {
  const segments = customId.split('/');
  return segments.length > 1 ? `${segments[0]}/${segments[segments.length - 1]}` : segments[0];
}

/**
 * `service add` for a slash command; `button approval/approve` for a click; `modal
 * ci-gate/reason` for a submitted form.
 */
export function describeInteraction(
  interaction: BaseInteraction,
): { command: string; options: Record<string, OptionValue> } | undefined {
  if (interaction.isChatInputCommand()) {
    const parts = [
      interaction.commandName,
      interaction.options.getSubcommandGroup(false),
      interaction.options.getSubcommand(false),
    ].filter(Boolean);
    return { command: parts.join(' '), options: flattenOptions(interaction.options.data) };
  }
  if (interaction.isMessageComponent()) {
    return {
      command: `button ${routeName(interaction.customId)}`.slice(0, 60),
      options: { customId: interaction.customId },
    };
  }
  if (interaction.isModalSubmit()) {
    // A form's answers are what the member said (a reason): kept with the entry, bounded.
    const fields: Record<string, OptionValue> = {};
    for (const field of interaction.fields.fields.values()) {
      if ('value' in field && typeof field.value === 'string')
        fields[field.customId.slice(0, 40)] = field.value.slice(0, 1000);
    }
    // Set last: no field of the form can stand in for the control it came from.
    fields.customId = interaction.customId;
    return { command: `modal ${routeName(interaction.customId)}`.slice(0, 60), options: fields };
  }
  return undefined;
}

/** Counts, times and writes to the audit log one command or click with its outcome. */
@Injectable()
export class CommandAudit {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly audit: AuditRepository,
    private readonly metrics: AppMetrics,
    private readonly inFlight: InteractionsInFlight,
  ) {}

  record(
    interaction: BaseInteraction,
    seconds: number,
    outcome: AuditOutcome,
    code?: string,
    message?: string,
  ): void {
    const described = describeInteraction(interaction);
    if (!described) return;
    this.metrics.commands.inc({ command: described.command, outcome });
    this.metrics.commandDuration.observe({ command: described.command }, seconds);
    const actor = actorFrom(interaction);
    const entry: AuditEntry = {
      at: new Date(),
      actor: { id: actor.id, name: actor.name },
      guildId: actor.guildId,
      command: described.command,
      options: described.options,
      outcome,
      code,
      message,
      durationMs: Math.round(seconds * 1000),
    };
    this.inFlight.track(
      this.audit.record(entry).catch((error: Error) => {
        this.logger.warn(
          `Could not write the audit entry for ${described.command}: ${error.message}`,
        );
      }),
    );
  }

  /**
   * The outcome of an error: `refused` for an AppError, `error` (with its ref) otherwise; nothing
   * when another instance answered an interaction handled here without a claim.
   */
  recordError(interaction: BaseInteraction, seconds: number, error: unknown): void {
    if (this.inFlight.answeredElsewhere(interaction, error)) return;
    const appError = toAppError(error);
    if (appError) this.record(interaction, seconds, 'refused', appError.code, appError.message);
    else this.record(interaction, seconds, 'error', 'INTERNAL', `ref ${errorRef(error)}`);
  }
}

/**
 * Every command and click is counted, timed and written to the audit log with its outcome:
 * `ok`, `refused` (an AppError: bad input, no permission, a guard) or `error` (unexpected).
 * Every handler is also counted as running until it ends, so a shutdown can wait for it.
 */
@Injectable()
export class CommandAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly commandAudit: CommandAudit,
    private readonly inFlight: InteractionsInFlight,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<string>() !== 'necord') return next.handle();
    const [interaction] = NecordExecutionContext.create(context).getContext<'interactionCreate'>();
    if (!(interaction instanceof BaseInteraction)) return next.handle();
    const done = this.inFlight.handling(interaction);
    return this.audited(interaction, next).pipe(finalize(done));
  }

  private audited(interaction: BaseInteraction, next: CallHandler): Observable<unknown> {
    if (!(interaction instanceof BaseInteraction) || !describeInteraction(interaction))
      return next.handle();
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    return next.handle().pipe(
      tap({
        next: () => this.commandAudit.record(interaction, seconds(), 'ok'),
        error: (error: unknown) => this.commandAudit.recordError(interaction, seconds(), error),
      }),
    );
  }
}

/**
 * Put on every class of Discord handlers (commands, buttons). Not a global interceptor: that
 * would put an interceptor pipeline on every HTTP request too (webhooks, metrics, health).
 */
export const Audited = () => UseInterceptors(CommandAuditInterceptor);
