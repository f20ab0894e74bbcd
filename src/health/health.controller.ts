import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DatabasePing } from '../database/database-ping';
import { DiscordStatus } from '../discord/discord-status';

/** How long readiness waits for MongoDB's answer to a ping. */
const PING_TIMEOUT_MS = 1_000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabasePing,
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
    return this.health.check([() => this.databaseCheck(), () => this.discordCheck()]);
  }

  @Get()
  @HealthCheck()
  overall() {
    return this.ready();
  }

  /**
   * A real ping, not the driver's last known state: a server that stopped answering shows within
   * a second, and the ping itself asks the driver to look for a server that came back (recovery in
   * about a second instead of at the next heartbeat).
   */
  private async databaseCheck() {
    const check = this.indicator.check('mongodb');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), PING_TIMEOUT_MS);
    });
    try {
      const pingMs = await Promise.race([this.database.ping(), timeout]);
      return pingMs === undefined
        ? check.down({ reason: `no answer to a ping within ${PING_TIMEOUT_MS} ms` })
        : check.up({ pingMs });
    } catch {
      return check.down({ reason: 'MongoDB is unavailable' });
    } finally {
      clearTimeout(timer);
    }
  }

  private discordCheck() {
    const check = this.indicator.check('discord');
    const gateway = this.discord.gateway();
    return gateway.ready
      ? check.up({ ping: gateway.pingMs })
      : check.down({ reason: 'Discord gateway is not connected' });
  }
}
