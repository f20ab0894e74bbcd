import { Injectable, Logger } from '@nestjs/common';
import { plainText } from '../../libs/text';
import { AppConfig } from '../config/app-config';
import { Deployment } from '../deployments/deployment';
import { DeploymentVerifications } from '../deployments/deployment-verifications.service';
import { ChannelNotices } from '../discord/channel-notices';
import { channelOf } from '../service-registry/service';
import { ServiceRegistryService } from '../service-registry/service-registry.service';
import { failureNotice } from '../discord/deployment-views/verification.views';

/** A notice whose post failed for a while is tried again after this long. */
const LEASE_MS = 30_000;
const PER_ROUND = 10;

/**
 * Tells the target's channel once of each failed verification, with what the bot did about it
 * (rolled back, held, or nothing). A hold without a rollback mentions the admin roles. A post
 * Discord refuses for good is logged and not tried again; one that may pass is tried again.
 */
@Injectable()
export class VerificationNotices {
  private readonly logger = new Logger('Verification');

  constructor(
    private readonly config: AppConfig,
    private readonly verifications: DeploymentVerifications,
    private readonly registry: ServiceRegistryService,
    private readonly notices: ChannelNotices,
  ) {}

  async work(): Promise<void> {
    for (let n = 0; n < PER_ROUND; n++) {
      const deployment = await this.verifications.claimNotice(LEASE_MS);
      if (!deployment) return;
      await this.tell(deployment);
    }
  }

  private async tell(deployment: Deployment): Promise<void> {
    const channelId = deployment.channelId ?? (await this.channelOf(deployment));
    if (!channelId) {
      this.logger.warn(`${deployment.id} failed its verification; no channel to tell`);
      return this.verifications.noticeSent(deployment.id);
    }
    const held = deployment.verification?.rollback?.state === 'held';
    const roles = held ? this.config.access.adminRoleIds : [];
    const posted = await this.notices.post(
      channelId,
      failureNotice(deployment, roles),
      undefined,
      roles,
    );
    if (posted.sent || !posted.retry) {
      if (!posted.sent)
        this.logger.warn(
          `The verification notice of ${deployment.id}: ${plainText(posted.reason, 200)}; not tried again`,
        );
      await this.verifications.noticeSent(deployment.id);
    }
  }

  private async channelOf(deployment: Deployment): Promise<string | undefined> {
    const service = await this.registry.get(deployment.service).catch(() => undefined);
    return service
      ? channelOf(service, deployment.environment, this.config.discord.deployChannelId)
      : this.config.discord.deployChannelId;
  }
}
