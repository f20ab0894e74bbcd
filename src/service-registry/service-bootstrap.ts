import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import { ServiceRegistryService } from './service-registry.service';

export const BOOTSTRAP_ACTOR = { id: 'bootstrap', name: 'GITHUB_OWNER/GITHUB_REPO' };

/** Registers GITHUB_OWNER/GITHUB_REPO as a service at start, once: restarts never duplicate it. */
@Injectable()
export class ServiceBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('ServiceRegistry');

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ServiceRegistryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { owner, repo } = this.config.github;
    if (!owner || !repo) return;
    const name = repo.toLowerCase();
    try {
      const added = await this.registry.addIfAbsent({ name, owner, repo }, BOOTSTRAP_ACTOR);
      if (added) this.logger.log(`Registered ${owner}/${repo} as service ${name}`);
    } catch (error) {
      // GitHub may be briefly unreachable: the bot still starts, and the next start tries again.
      const reason = error instanceof AppError ? error.message : (error as Error).message;
      this.logger.warn(`Could not register ${owner}/${repo} as a service: ${reason}`);
    }
  }
}
