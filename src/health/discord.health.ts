import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Client } from 'discord.js';

@Injectable()
export class DiscordHealthIndicator {
  constructor(
    private readonly client: Client,
    private readonly indicator: HealthIndicatorService,
  ) {}

  check(key = 'discord') {
    const check = this.indicator.check(key);
    return this.client.isReady()
      ? check.up({ ping: this.client.ws.ping })
      : check.down({ reason: 'Discord gateway is not connected' });
  }
}
