import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Deployment } from '../../deployments/deployment';
import { parseDeploymentControl } from './deployment-route';

/**
 * "Report faulty" on the message of a deployment that succeeded: the delivery metrics count it as
 * a failed change. Custom ids are path-shaped (`fault/d-7f3a2c/report`), built and parsed here.
 */
export const FAULT_BUTTON_ROUTE = 'fault/:id/:action';
const ACTIONS = ['report'] as const;

export function faultButtonId(deploymentId: string): string {
  return `fault/${deploymentId}/report`;
}

export function parseFaultButtonId(customId: string): { id: string } | undefined {
  const parsed = parseDeploymentControl(customId, 'fault', ACTIONS);
  return parsed ? { id: parsed.id } : undefined;
}

/** The button, while a deployment (not a rollback) succeeded and nobody reported it yet. */
export function faultButtons(deployment: Deployment): ActionRowBuilder<ButtonBuilder>[] {
  if (deployment.status !== 'success' || deployment.fault || deployment.rollback) return [];
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId(faultButtonId(deployment.id))
        .setLabel('Report faulty')
        .setStyle(ButtonStyle.Secondary),
    ),
  ];
}
