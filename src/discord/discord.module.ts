import { Module } from '@nestjs/common';
import { GatewayIntentBits } from 'discord.js';
import { NecordModule } from 'necord';
import { AppConfig } from '../config/app-config';
import { UnknownComponentsUpdate } from './unknown-components.update';

/** The Discord gateway and REST client; commands live in the feature modules. */
@Module({
  imports: [
    NecordModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        token: config.discord.token,
        intents: [GatewayIntentBits.Guilds],
        // A guild registers commands instantly; global registration takes up to an hour.
        development: config.discord.guildId ? [config.discord.guildId] : false,
        rest: { api: config.discord.apiUrl },
      }),
    }),
  ],
  providers: [UnknownComponentsUpdate],
})
export class DiscordModule {}
