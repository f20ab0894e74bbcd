import { ChannelNotices } from './channel-notices';
import { MemberDirectory } from './member-directory';
import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GatewayIntentBits } from 'discord.js';
import { NecordModule } from 'necord';
import { AppConfig } from '../config/app-config';
import { AuditModule } from '../audit/audit.module';
import { CommandAudit, CommandAuditInterceptor } from './command-audit.interceptor';
import { CommandRegistration } from './command-registration';
import { DiscordStatus } from './discord-status';
import { InteractionClaimDocument, InteractionClaimSchema } from './interaction-claim.schema';
import { IdentifyBudget } from './identify-budget';
import { InteractionClaims } from './interaction-claims.repository';
import { InteractionGate } from './interaction-gate';
import { InteractionsInFlight } from './interactions-in-flight';
import { CommandTurns } from './command-turns';
import { UnknownComponentsUpdate } from './unknown-components.update';

/**
 * The Discord gateway and REST client, the gate (one instance claims each interaction; only the
 * home server passes), command registration and the audit of every command and click; the
 * commands themselves live in the feature modules.
 */
@Global()
@Module({
  imports: [
    AuditModule,
    MongooseModule.forFeature([
      { name: InteractionClaimDocument.name, schema: InteractionClaimSchema },
    ]),
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
    MemberDirectory,
    ChannelNotices,
    UnknownComponentsUpdate,
    InteractionGate,
    InteractionClaims,
    InteractionsInFlight,
    IdentifyBudget,
    CommandRegistration,
    CommandAudit,
    CommandAuditInterceptor,
    DiscordStatus,
    CommandTurns,
  ],
  exports: [
    MemberDirectory,
    ChannelNotices,
    CommandRegistration,
    CommandAudit,
    CommandAuditInterceptor,
    DiscordStatus,
    InteractionsInFlight,
    CommandTurns,
  ],
})
export class DiscordModule {}
