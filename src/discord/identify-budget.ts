import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APIGatewayBotInfo, Client, Events, Routes } from 'discord.js';

/** Below this many identifies left today, the log warns. */
const LOW = 100;

/**
 * Logs, once the gateway is ready, how many gateway IDENTIFYs the bot has left today: each start
 * of an instance uses one, Discord allows 1,000 a day, and a crash loop can spend them all
 * (https://discord.com/developers/docs/events/gateway#session-start-limit-object).
 */
@Injectable()
export class IdentifyBudget implements OnModuleInit {
  private readonly logger = new Logger('Discord');

  constructor(private readonly client: Client) {}

  onModuleInit(): void {
    this.client.once(Events.ClientReady, () => void this.report());
  }

  async report(): Promise<void> {
    try {
      const info = (await this.client.rest.get(Routes.gatewayBot())) as APIGatewayBotInfo;
      const { remaining, total, reset_after: resetAfter } = info.session_start_limit;
      const resetsIn = `${Math.ceil(resetAfter / 3_600_000)} h`;
      const text = `Gateway identifies left today: ${remaining} of ${total} (resets within ${resetsIn})`;
      if (remaining < LOW)
        this.logger.warn(`${text}: is an instance restarting in a loop? Add a restart backoff.`);
      else this.logger.log(text);
    } catch (error) {
      this.logger.debug(`Could not read the identify budget: ${(error as Error).message}`);
    }
  }
}
