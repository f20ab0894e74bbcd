import { Injectable, Logger } from '@nestjs/common';
import { Context, type ContextOf, Once } from 'necord';
import { AppConfig } from '../config/app-config';
import { GrantRepository } from './grant.repository';

/**
 * Grants recorded before grants named their server are adopted by the home server when their
 * role is one of its roles, once the gateway has delivered the server's roles; any other stays
 * ignored, and the log says so. Idempotent: every start (and every instance) may run it.
 */
@Injectable()
export class LegacyGrantsUpdate {
  private readonly logger = new Logger('Access');

  constructor(
    private readonly grants: GrantRepository,
    private readonly config: AppConfig,
  ) {}

  @Once('clientReady')
  async onReady(@Context() [client]: ContextOf<'clientReady'>): Promise<void> {
    const home = client.guilds.cache.get(this.config.discord.guildId);
    if (!home) return;
    try {
      const { adopted, ignored } = await this.grants.adoptLegacy(home.id, [
        ...home.roles.cache.keys(),
      ]);
      if (adopted) this.logger.log(`${adopted} earlier grant(s) now belong to the home server`);
      if (ignored)
        this.logger.warn(
          `${ignored} earlier grant(s) name roles that are not in the home server: they are ignored`,
        );
    } catch (error) {
      this.logger.warn(`Could not check earlier grants: ${(error as Error).message}`);
    }
  }
}
