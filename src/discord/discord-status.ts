import { Injectable } from '@nestjs/common';
import { Client } from 'discord.js';

/** Whether the Discord gateway is connected, for the health checks. */
@Injectable()
export class DiscordStatus {
  constructor(private readonly client: Client) {}

  gateway(): { ready: boolean; pingMs: number } {
    return { ready: this.client.isReady(), pingMs: this.client.ws.ping };
  }
}
