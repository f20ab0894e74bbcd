import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DiscordHealthIndicator } from './discord.health';
import { HealthController } from './health.controller';
import { PingCommands } from './ping.commands';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DiscordHealthIndicator, PingCommands],
})
export class HealthModule {}
