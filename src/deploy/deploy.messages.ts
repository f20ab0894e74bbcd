import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Client } from 'discord.js';
import { AppConfig } from '../config/app-config';
import { Deployment, isTerminal } from './deployment';
import { DeploymentChanged, DeploymentEvents } from './deployment.events';
import { DeploymentRepository } from './deployment.repository';
import { deploymentMessage, outcomeAnnouncement, watchdogText } from './deploy.views';

/**
 * Keeps each deployment's Discord message true: on every change the message is rebuilt from the
 * stored record and edited in place with the bot token, so updates work long after the
 * 15-minute interaction token has expired. Edits for one deployment are made one at a time.
 */
@Injectable()
export class DeploymentMessages implements OnModuleInit {
  private readonly logger = new Logger('DeploymentMessages');
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly events: DeploymentEvents,
    private readonly deployments: DeploymentRepository,
    private readonly client: Client,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('discord-message', (event) => this.enqueue(event));
  }

  private enqueue({ deployment, notice }: DeploymentChanged): Promise<void> {
    const previous = this.queues.get(deployment.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      await this.refresh(deployment.id);
      if (notice === 'watchdog') await this.notifyRequester(deployment);
    });
    const tracked = next.finally(() => {
      if (this.queues.get(deployment.id) === tracked) this.queues.delete(deployment.id);
    });
    this.queues.set(deployment.id, tracked);
    return next;
  }

  /** A reply to the deployment's message that mentions the requester (an edit would not notify). */
  private async notifyRequester(deployment: Deployment): Promise<void> {
    if (!deployment.channelId) return;
    const channel = await this.client.channels.fetch(deployment.channelId);
    if (!channel?.isSendable()) return;
    await channel.send({
      content: `<@${deployment.requester.id}> ${watchdogText(deployment)}`,
      allowedMentions: { users: [deployment.requester.id] },
      ...(deployment.messageId
        ? { reply: { messageReference: deployment.messageId, failIfNotExists: false } }
        : {}),
    });
  }

  private async refresh(id: string): Promise<void> {
    const deployment = await this.deployments.findById(id);
    if (!deployment) return;
    if (deployment.channelId && deployment.messageId) {
      const channel = await this.client.channels.fetch(deployment.channelId);
      if (channel?.isTextBased())
        await channel.messages.edit(deployment.messageId, deploymentMessage(deployment));
    }
    const announceTo = this.config.discord.deployChannelId;
    if (announceTo && isTerminal(deployment.status) && (await this.deployments.markAnnounced(id))) {
      const channel = await this.client.channels.fetch(announceTo);
      if (channel?.isSendable()) {
        await channel.send({
          content: outcomeAnnouncement(deployment),
          allowedMentions: { parse: [] },
        });
      } else {
        this.logger.warn(`DEPLOY_CHANNEL_ID ${announceTo} is not a channel the bot can post in`);
      }
    }
  }
}
