import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BaseInteraction, Client, Events, Guild, MessageFlags } from 'discord.js';
import { Clock } from '../../libs/clock';
import { AppError } from '../../libs/errors';
import { Instance } from '../../libs/instance';
import { AppConfig } from '../config/app-config';
import { onBehalfOf } from '../github/member-context';
import { Heartbeat } from '../instances/heartbeat';
import { AppMetrics } from '../metrics/app-metrics';
import { CommandAudit } from './command-audit.interceptor';
import { InteractionClaims } from './interaction-claims.repository';
import { InteractionsInFlight } from './interactions-in-flight';

/** What a member is told while the only instance shuts down. */
export const RESTARTING = 'The bot is restarting; try again in a few seconds.';
/** How long an instance that could not claim lets another instance answer first. */
const UNCLAIMED_HEAD_START_MS = 500;
/** How long a shutdown waits for the handlers still running here. */
const DRAIN_MS = 10_000;

export class ForeignGuildError extends AppError {
  constructor() {
    super('ACCESS.FOREIGN_GUILD', 'This bot only works in its home server.', 403);
  }
}

/**
 * The one door every interaction passes before any handler, guard or audit interceptor runs.
 *
 * 1. The claim: every instance of the bot receives every interaction from the gateway, and the
 *    first to insert its id into MongoDB handles it. The others drop it without a word: no
 *    acknowledgement, no reply, no audit entry; only `chatops_interaction_claims_total` counts
 *    it. When the database cannot be asked, the instance handles the interaction as it would
 *    alone (its handler answers "the database is unavailable"), and Discord refusing the
 *    acknowledgement because another instance answered first is not an error. While shutting
 *    down, an instance claims nothing: the others take the interaction.
 * 2. The home server: only interactions from GUILD_ID reach the handlers. Anything from another
 *    server, or from a direct message, is answered "this bot only works in its home server",
 *    audited as refused, and changes nothing.
 *
 * Necord subscribes its handlers to the client's `interactionCreate` event, so the gate sits in
 * front of that event's emission: an interaction it drops or refuses is never emitted.
 */
@Injectable()
export class InteractionGate implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Discord');

  constructor(
    private readonly client: Client,
    private readonly config: AppConfig,
    private readonly audit: CommandAudit,
    private readonly claims: InteractionClaims,
    private readonly inFlight: InteractionsInFlight,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
    private readonly heartbeat: Heartbeat,
    private readonly instance: Instance,
  ) {}

  onModuleInit(): void {
    const emit = this.client.emit.bind(this.client) as (
      event: string,
      ...args: unknown[]
    ) => boolean;
    (this.client as { emit: (event: string, ...args: unknown[]) => boolean }).emit = (
      event,
      ...args
    ) => {
      if (event !== Events.InteractionCreate) return emit(event, ...args);
      const interaction = args[0] as BaseInteraction;
      this.receive(interaction)
        .then((admitted) => {
          // Every GitHub request its handlers cause is charged to the member who acted.
          if (admitted) onBehalfOf(interaction.user.id, () => emit(event, ...args));
        })
        .catch((error: Error) =>
          this.logger.error(
            `Interaction ${interaction.id} could not be admitted: ${error.message}`,
          ),
        );
      return true;
    };
    this.client.on(Events.ClientReady, () => this.warnAboutOtherGuilds());
    this.client.on(Events.GuildCreate, (guild) => this.warnIfForeign(guild));
  }

  /**
   * The first step of a shutdown (before any background worker stops, and while the gateway and
   * the database are still connected): from now on, other instances take every interaction, and
   * the handlers still running here are given a few seconds to finish.
   */
  async onModuleDestroy(): Promise<void> {
    this.instance.stopping = true;
    const running = this.inFlight.count;
    if (running === 0) return;
    this.logger.log(`Waiting for ${running} interaction(s) still being handled`);
    if (!(await this.inFlight.drained(DRAIN_MS)))
      this.logger.warn(`${this.inFlight.count} interaction(s) still running at shutdown`);
  }

  /** True when this instance handles the interaction: it claimed it, and it may pass. */
  private async receive(interaction: BaseInteraction): Promise<boolean> {
    if (this.instance.stopping) return this.whileStopping(interaction);
    // Counted as running from the claim until its handler ends, so a shutdown waits for it.
    this.inFlight.begin(interaction);
    try {
      const outcome = await this.claim(interaction);
      if (outcome === 'lost') return this.leave(interaction, outcome);
      this.metrics.interactionClaims.inc({ outcome });
      // This instance cannot reach the database but another instance was alive a moment ago:
      // it may well claim and answer; it is given a head start, this one answers after it.
      if (outcome === 'unavailable' && this.heartbeat.othersAlive())
        await new Promise((resolve) => setTimeout(resolve, UNCLAIMED_HEAD_START_MS));
      const admitted = await this.admit(interaction);
      if (!admitted) this.inFlight.end(interaction);
      return admitted;
    } catch (error) {
      this.inFlight.end(interaction);
      throw error;
    }
  }

  /** Left to the other instances: not a word to Discord, only counted. */
  private leave(interaction: BaseInteraction, outcome: 'lost' | 'stopping'): false {
    this.inFlight.end(interaction);
    this.metrics.interactionClaims.inc({ outcome });
    this.logger.debug(`Interaction ${interaction.id}: ${outcome}, left to another instance`);
    return false;
  }

  /**
   * Shutting down: another instance alive takes the interaction. With none (a single instance,
   * or all of them restarting at once), the member is told, once, to try again shortly.
   */
  private async whileStopping(interaction: BaseInteraction): Promise<false> {
    // Nothing from another server or a DM is worth a database read or a reply while stopping.
    if (interaction.guildId !== this.config.discord.guildId)
      return this.leave(interaction, 'stopping');
    if (await this.heartbeat.othersAliveNow()) return this.leave(interaction, 'stopping');
    this.metrics.interactionClaims.inc({ outcome: 'stopping' });
    if ((await this.claim(interaction)) === 'lost') return false;
    try {
      if (interaction.isAutocomplete()) await interaction.respond([]);
      else if (interaction.isRepliable())
        await interaction.reply({ content: RESTARTING, flags: MessageFlags.Ephemeral });
    } catch (error) {
      this.logger.debug(`Could not answer while stopping: ${(error as Error).message}`);
    }
    return false;
  }

  private async claim(interaction: BaseInteraction): Promise<'won' | 'lost' | 'unavailable'> {
    try {
      return await this.claims.claim(interaction.id, this.clock.now());
    } catch (error) {
      this.logger.debug(
        `Interaction ${interaction.id} handled without a claim: ${(error as Error).message}`,
      );
      this.inFlight.markUnclaimed(interaction);
      return 'unavailable';
    }
  }

  /** True when the interaction may reach the handlers; otherwise it has been answered. */
  private async admit(interaction: BaseInteraction): Promise<boolean> {
    if (interaction.guildId === this.config.discord.guildId) return true;
    await this.refuseForeign(interaction);
    return false;
  }

  private async refuseForeign(interaction: BaseInteraction): Promise<void> {
    const error = new ForeignGuildError();
    this.audit.record(interaction, 0, 'refused', error.code, error.message);
    try {
      if (interaction.isAutocomplete()) await interaction.respond([]);
      else if (interaction.isRepliable())
        await interaction.reply({ content: error.message, flags: MessageFlags.Ephemeral });
    } catch (replyError) {
      this.logger.debug(`Could not answer a foreign interaction: ${(replyError as Error).message}`);
    }
  }

  private warnAboutOtherGuilds(): void {
    const home = this.config.discord.guildId;
    if (!this.client.guilds.cache.has(home)) {
      this.logger.warn(
        `The bot is not in its home server GUILD_ID ${home}: invite it there (docs/setup.md); until then every command is refused.`,
      );
    }
    for (const guild of this.client.guilds.cache.values()) this.warnIfForeign(guild);
  }

  private warnIfForeign(guild: Guild): void {
    if (guild.id === this.config.discord.guildId) return;
    this.logger.warn(
      `The bot is also in server "${guild.name.slice(0, 100)}" (${guild.id}), which is not GUILD_ID: ` +
        'it refuses every interaction there. Turn off "Public Bot" in the Developer Portal and remove the bot from that server.',
    );
  }
}
