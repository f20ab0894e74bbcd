import { Injectable } from '@nestjs/common';
import { ActionRowBuilder, ModalBuilder, TextInputBuilder, TextInputStyle } from 'discord.js';
import { Button, type ButtonContext, Context, Modal, type ModalContext } from 'necord';
import { Clock } from '../../libs/clock';
import { AppError, ValidationError } from '../../libs/errors';
import { AccessDeniedError } from '../access/access.errors';
import { AccessService } from '../access/access.service';
import { QueueEntry, QueueStore } from '../admission/queue.store';
import { DeployQueueing } from '../deploy/deploy-queueing';
import { DeployService } from '../deploy/deploy.service';
import { OfferGoneError } from '../deploy/deploy.errors';
import { DeploymentLauncher } from '../deploy/deployment-launcher';
import { TargetSchedule } from '../deploy-windows/target-schedule.service';
import { actorFrom } from '../discord/actor';
import { Audited } from '../discord/command-audit.interceptor';
import { deploymentMessage } from '../discord/deployment-views/deployment-message.views';
import { UnknownComponentError } from '../discord/discord.errors';
import {
  parseQueueControlId,
  QUEUE_BUTTON_ROUTE,
  QUEUE_REASON_INPUT,
  queueControlId,
} from '../discord/queue-buttons';
import { queuedText } from '../discord/queue-views';
import { AppMetrics } from '../metrics/app-metrics';

/** The reason an admin gives for deploying through a freeze or a closed window. */
export const OVERRIDE_REASON = { min: 10, max: 500 } as const;

/**
 * The buttons under a refusal a queue could wait out. "Queue it" puts the request in its target's
 * queue. "Deploy anyway" (an admin, for a freeze or a closed window) opens a form asking why;
 * submitting it makes the deployment, which then needs a second admin's approval whatever the
 * target. Both are the requester's own (the refusal was shown to them alone); the click and the
 * submission are audited, the reason with it.
 */
@Injectable()
@Audited()
export class QueueComponents {
  constructor(
    private readonly queueing: DeployQueueing,
    private readonly queue: QueueStore,
    private readonly deploys: DeployService,
    private readonly launcher: DeploymentLauncher,
    private readonly access: AccessService,
    private readonly schedule: TargetSchedule,
    private readonly metrics: AppMetrics,
    private readonly clock: Clock,
  ) {}

  @Button(QUEUE_BUTTON_ROUTE)
  async onClick(@Context() [interaction]: ButtonContext) {
    const parsed = parseQueueControlId(interaction.customId);
    if (!parsed || parsed.action === 'reason') throw new UnknownComponentError();
    const actor = actorFrom(interaction);
    const offer = await this.offerOf(parsed.id, actor.id);
    if (parsed.action === 'queue') {
      await interaction.deferUpdate();
      const { entry, position } = await this.queueing.enqueue(
        actor,
        {
          service: offer.service,
          environment: offer.environment,
          ref: offer.ref,
          ...(offer.hotfix ? { hotfix: true } : {}),
        },
        offer.channelId,
        { waitedFor: offer.waitedFor, offerId: offer.id },
      );
      return interaction.editReply({ content: queuedText(entry, position), components: [] });
    }
    await this.access.requireAdmin(
      actor,
      'deploy through a freeze or a closed window',
      offer.environment,
    );
    return interaction.showModal(
      new ModalBuilder()
        .setCustomId(queueControlId(offer.id, 'reason'))
        .setTitle(`Deploy to ${offer.environment.slice(0, 20)} anyway`)
        .addComponents(
          new ActionRowBuilder<TextInputBuilder>().addComponents(
            new TextInputBuilder()
              .setCustomId(QUEUE_REASON_INPUT)
              .setLabel('Why deploy through the freeze or window?')
              .setStyle(TextInputStyle.Paragraph)
              .setRequired(true)
              .setMinLength(OVERRIDE_REASON.min)
              .setMaxLength(OVERRIDE_REASON.max),
          ),
        ),
    );
  }

  @Modal(QUEUE_BUTTON_ROUTE)
  async onReason(@Context() [interaction]: ModalContext) {
    const parsed = parseQueueControlId(interaction.customId);
    if (!parsed || parsed.action !== 'reason') throw new UnknownComponentError();
    const reason = interaction.fields.getTextInputValue(QUEUE_REASON_INPUT).trim();
    if (reason.length < OVERRIDE_REASON.min || reason.length > OVERRIDE_REASON.max)
      throw new ValidationError(
        `Invalid reason: ${OVERRIDE_REASON.min} to ${OVERRIDE_REASON.max} characters.`,
      );
    const actor = actorFrom(interaction);
    const offer = await this.offerOf(parsed.id, actor.id);
    await this.access.requireAdmin(
      actor,
      'deploy through a freeze or a closed window',
      offer.environment,
    );
    // Public: the reply becomes the deployment's message, the override on it for everyone.
    await interaction.deferReply();
    // The moment of the override comes first: a freeze made after it is not one it covers.
    const now = this.clock.now();
    const closure = await this.schedule.closure(offer.service, offer.environment);
    if (!closure)
      throw new AppError(
        'SCHEDULE.OPEN',
        `${offer.service} → ${offer.environment} takes deploys now: no override is needed, run /deploy.`,
        409,
      );
    // Whether the windows closed it too (a freeze comes first in `closure`): windows closing it
    // later, when they did not then, are not something this override went through.
    const windowsClosed =
      closure.kind === 'window' ||
      (await this.schedule.windowsClosed(offer.service, offer.environment));
    const request = await this.deploys.prepareOverride(
      actor,
      actor,
      {
        service: offer.service,
        environment: offer.environment,
        ref: offer.ref,
        ...(offer.hotfix ? { hotfix: true } : {}),
      },
      {
        reason,
        closure: closure.error.message.slice(0, 500),
        rule: closure.kind,
        windowsClosed,
        at: now,
      },
    );
    // Used once the request passed its checks (a refused one leaves the offer open), and once
    // only, whichever click of which instance gets here first.
    if (
      !(await this.queue.useOffer(offer.id, this.clock.now(), `deployed anyway by ${actor.name}`))
    ) {
      await request.release();
      throw new OfferGoneError();
    }
    this.metrics.scheduleOverrides.inc({
      environment: request.draft.environment,
      rule: closure.kind,
    });
    await this.launcher.launch(request, async (deployment) => {
      const message = await interaction.editReply(deploymentMessage(deployment));
      return { channelId: message.channelId, messageId: message.id };
    });
  }

  /** The open offer `id`, made to `memberId` (the refusal was theirs alone). */
  private async offerOf(id: string, memberId: string): Promise<QueueEntry> {
    const offer = await this.queue.find(id);
    if (!offer || offer.state !== 'offered' || offer.expiresAt <= this.clock.now())
      throw new OfferGoneError();
    if (offer.requester.id !== memberId)
      throw new AccessDeniedError('Only the member who asked can use this.');
    return offer;
  }
}
