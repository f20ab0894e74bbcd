import { Global, Module } from '@nestjs/common';
import { GatewayIntentBits } from 'discord.js';
import { NecordModule } from 'necord';
import { AppConfig } from '../config/app-config';
import { AuditModule } from '../audit/audit.module';
import { CommandAudit, CommandAuditInterceptor } from './command-audit.interceptor';
import { CommandRegistration } from './command-registration';
import { DiscordStatus } from './discord-status';
import { InteractionGate } from './interaction-gate';
import { UnknownComponentsUpdate } from './unknown-components.update';

/**
 * The Discord gateway and REST client, the home-server gate, command registration and the audit
 * of every command and click; the commands themselves live in the feature modules.
 */
@Global()
@Module({
  imports: [
    AuditModule,
    NecordModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        token: config.discord.token,
        intents: [GatewayIntentBits.Guilds],
        // CommandRegistration registers them, in the home server only.
        skipRegistration: true,
        rest: { api: config.discord.apiUrl },
        // No message the bot sends pings anyone, unless it names who it means to ping.
        allowedMentions: { parse: [], repliedUser: false },
      }),
    }),
  ],
  providers: [
    UnknownComponentsUpdate,
    InteractionGate,
    CommandRegistration,
    CommandAudit,
    CommandAuditInterceptor,
    DiscordStatus,
  ],
  exports: [CommandRegistration, CommandAudit, CommandAuditInterceptor, DiscordStatus],
})
export class DiscordModule {}
