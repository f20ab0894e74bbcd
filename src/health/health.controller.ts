import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { DiscordStatus } from '../discord/discord-status';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly discord: DiscordStatus,
    private readonly indicator: HealthIndicatorService,
  ) {}

  /** 200 while the process runs: restart only what is truly stuck. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 only when MongoDB answers a ping and the Discord gateway is ready; 503 names what is down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.mongoose.pingCheck('mongodb', { timeout: 1_000 }),
      () => this.discordCheck(),
    ]);
  }

  @Get()
  @HealthCheck()
  overall() {
    return this.ready();
  }

  private discordCheck() {
    const check = this.indicator.check('discord');
    const gateway = this.discord.gateway();
    return gateway.ready
      ? check.up({ ping: gateway.pingMs })
      : check.down({ reason: 'Discord gateway is not connected' });
  }
}
