import { Global, Module } from '@nestjs/common';
import { GatewayIntentBits } from 'discord.js';
import { NecordModule } from 'necord';
import { AppConfig } from '../config/app-config';
import { CommandRegistration } from './command-registration';
import { InteractionGate } from './interaction-gate';
import { UnknownComponentsUpdate } from './unknown-components.update';

/** The Discord gateway and REST client; commands live in the feature modules. */
@Global()
@Module({
  imports: [
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
  providers: [UnknownComponentsUpdate, InteractionGate, CommandRegistration],
  exports: [CommandRegistration],
})
export class DiscordModule {}
