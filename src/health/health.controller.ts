import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import { DiscordHealthIndicator } from './discord.health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly discord: DiscordHealthIndicator,
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
      () => this.discord.check(),
    ]);
  }

  @Get()
  @HealthCheck()
  overall() {
    return this.ready();
  }
}
