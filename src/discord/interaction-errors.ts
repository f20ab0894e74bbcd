import { ArgumentsHost, Logger } from '@nestjs/common';
import {
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  BaseInteraction,
  MessageFlags,
} from 'discord.js';
import { AppError } from '../../libs/errors';
import { NecordArgumentsHost } from 'necord';
import { truncate } from '../../libs/text';
import { LIMITS } from './limits';

const logger = new Logger('Errors');

/** Whether an exception filter is handling a Discord interaction (a command, a click). */
export function isInteractionHost(host: ArgumentsHost): boolean {
  return host.getType<string>() === 'necord';
}

/** The interaction an exception filter is handling. */
export function interactionOf(host: ArgumentsHost): unknown {
  return NecordArgumentsHost.create(host).getContext<'interactionCreate'>()[0];
}

/**
 * Tells the member who acted what went wrong, privately, however far the interaction got: an
 * autocomplete gets no choices, a click acknowledged already gets a private follow-up, a public
 * "thinking…" reply is taken away. Discord failing here is logged, never thrown.
 */
export async function answerInteractionError(
  interaction: unknown,
  message: string,
  offered: OfferedControls = [],
): Promise<void> {
  if (!(interaction instanceof BaseInteraction)) return;
  const content = truncate(message, LIMITS.content);
  const components = offered.length ? { components: offered } : {};
  try {
    if (interaction.isAutocomplete()) {
      if (!interaction.responded) await interaction.respond([]);
    } else if (interaction.isRepliable()) {
      if (interaction.isMessageComponent() && (interaction.deferred || interaction.replied)) {
        // A click acknowledged already: the message belongs to everyone, answer aside.
        await interaction.followUp({ content, ...components, flags: MessageFlags.Ephemeral });
      } else if ((interaction.deferred || interaction.replied) && interaction.ephemeral) {
        await interaction.editReply({ content, embeds: [], components: offered });
      } else if (interaction.deferred || interaction.replied) {
        // A public "thinking…" reply: take it away and tell only the person who asked.
        await interaction.deleteReply().catch(() => undefined);
        await interaction.followUp({ content, ...components, flags: MessageFlags.Ephemeral });
      } else {
        await interaction.reply({ content, ...components, flags: MessageFlags.Ephemeral });
      }
    }
  } catch (error) {
    logger.warn(`Could not report an error to Discord: ${(error as Error).message}`);
  }
}

export type OfferedControls = APIActionRowComponent<APIComponentInMessageActionRow>[];

/**
 * A refusal that offers what the member may do instead (queue the request, or an admin's
 * "Deploy anyway"): the same code and message, with buttons under it.
 */
export class OfferedRefusal extends AppError {
  constructor(
    readonly refusal: AppError,
    readonly controls: OfferedControls,
  ) {
    super(refusal.code, refusal.message, refusal.httpStatus);
  }
}
